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
  // "[rule] c: what; fix" as an AdmissionResponse warning: at most 120 bytes
  // (the API server's advice). A longer one loses part of `what`, cut on a
  // character boundary and marked "...", never the rule, the container or
  // the fix; when even those exceed 120 bytes, "[rule] c: fix" alone, cut at
  // 256 bytes (where the API server truncates).
  std::string Warning() const;
};

inline constexpr size_t kMaxWarningBytes = 120;
inline constexpr size_t kMaxServerWarningBytes = 256;
inline constexpr size_t kMinExplanationBytes = 16;  // less says nothing: drop it

}  // namespace seiguard

#endif  // SEIGUARD_RULES_FINDING_H_
