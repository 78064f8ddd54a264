// What a rule found, after the policy's action was applied.
#ifndef SEIGUARD_RULES_FINDING_H_
#define SEIGUARD_RULES_FINDING_H_

#include <string>

#include "rules/catalog.h"
#include "rules/path.h"

namespace seiguard {

enum class Severity { kDeny, kWarn };

struct Finding {
  RuleId rule;
  Severity severity;
  Path path;              // where in the object (for messages, line numbers)
  std::string container;  // the container concerned; the object's name for Services
  std::string what;       // what is wrong, one short clause
  std::string fix;        // what to do, one short clause

  // "[rule] path (container c): what; fix" - one line of a denial message.
  std::string Message() const;
  // The same line appended to `out` (no string of its own).
  void AppendMessage(std::string& out) const;
  // "[rule] c: what; fix", cut to at most 120 bytes on a character boundary:
  // an AdmissionResponse warning (the API server truncates long ones).
  std::string Warning() const;
};

inline constexpr size_t kMaxWarningBytes = 120;

}  // namespace seiguard

#endif  // SEIGUARD_RULES_FINDING_H_
