// The one explicit, ordered list of rules. Order here is the order rules run,
// findings are listed and patch operations are emitted.
#ifndef SEIGUARD_RULES_CATALOG_H_
#define SEIGUARD_RULES_CATALOG_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace seiguard {

enum class RuleId : size_t {
  kProxyIgnorePaths,
  kProbeOnProxyPort,
  kSidecarPublicPort,
  kSidecarPublicPortEnv,
  kNodeLabel,
  kNodeLabelImmutable,
  kServicePorts,
};
inline constexpr size_t kRuleCount = 7;

// What a policy tells a rule to do with what it finds.
//   off    - the rule is not evaluated
//   warn   - allowed, with an AdmissionResponse warning and an audit annotation
//   deny   - refused (for injecting rules: refused when missing, never patched)
//   mutate - injecting rules only: the mutating side adds what is missing;
//            conflicts are refused
enum class Action { kOff, kWarn, kDeny, kMutate };

std::string_view ActionName(Action action);
std::optional<Action> ActionFromName(std::string_view name);

struct RuleInfo {
  RuleId id;
  std::string_view name;
  Action default_action;
  bool can_mutate;  // accepts Action::kMutate
  std::string_view summary;      // one line, for `seiguard rules` and SARIF
  std::string_view description;  // what it checks and why
  std::string_view help;         // how to fix a finding
};

const std::array<RuleInfo, kRuleCount>& Rules();
const RuleInfo& Rule(RuleId id);
std::optional<RuleId> RuleFromName(std::string_view name);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_CATALOG_H_
