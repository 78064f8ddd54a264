// The rules, as the registry (rules/registry.inc) lists them. A rule is
// defined whole in its own file (rules/rule.h says how); everything else -
// the engine's run order, the policy's rules, the CEL backstop, `seiguard
// rules` and the generated documentation - reads this catalog.
#ifndef SEIGUARD_RULES_CATALOG_H_
#define SEIGUARD_RULES_CATALOG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace seiguard {

class Judge;
struct Policy;
namespace cel {
struct Twin;
}

// How many rules the registry lists (counted from it, never kept by hand).
inline constexpr size_t kRuleCount = 0
#define SEIGUARD_RULE(id) +1
#include "rules/registry.inc"
#undef SEIGUARD_RULE
    ;

// What a policy tells a rule to do with what it finds.
//   off    - the rule is not evaluated
//   warn   - allowed, with an AdmissionResponse warning and an audit annotation
//   deny   - refused (for injecting rules: refused when missing, never patched)
//   mutate - injecting rules only: the mutating side adds what is missing;
//            conflicts are refused
enum class Action { kOff, kWarn, kDeny, kMutate };

std::string_view ActionName(Action action);
std::optional<Action> ActionFromName(std::string_view name);

// What a rule's patches touch, which decides when the mutating side may
// apply them (a Pod's spec is immutable after CREATE; its labels are not).
enum class Patches {
  kNothing,  // the rule never patches: its action cannot be mutate
  kSpec,     // the pod spec: patched on CREATE only
  kLabels,   // the pod's labels: patched on CREATE and UPDATE
};

// What becomes of a rule's findings on a Pod UPDATE, where only labels can
// change: what was wrong before is reported, never a reason to refuse an
// unrelated edit.
enum class OnPodUpdate {
  kWarn,                // downgraded to warnings (spec findings)
  kKeep,                // judged as on CREATE (the rule is about the update itself)
  kKeepIfLabelChanged,  // kept when the update changes the node label, else warned
};

// A rule's definition: what its file under rules/ holds.
struct RuleDef {
  std::string_view name;          // as in policies, findings and metrics
  Action default_action;
  Patches patches;
  OnPodUpdate on_pod_update;
  std::string_view summary;       // one line, for `seiguard rules` and SARIF
  std::string_view description;   // what it checks and why (the documentation)
  std::string_view fix;           // how to fix a finding
  void (*check)(Judge& judge);    // reports through judge (rules/judge.h)
  // The CEL twin for the ValidatingAdmissionPolicy backstop (rules/vap_cel.h).
  void (*cel)(const Policy& policy, cel::Twin& twin);

  bool can_mutate() const { return patches != Patches::kNothing; }
};

// A rule's position in the registry. Only the catalog makes one, so a lookup
// by RuleId cannot go out of step with the list.
class RuleId {
 public:
  constexpr size_t index() const { return index_; }
  friend constexpr bool operator==(RuleId, RuleId) = default;

 private:
  friend class Registry;  // rules/catalog.cc, the only maker
  constexpr explicit RuleId(size_t index) : index_(static_cast<uint16_t>(index)) {}
  uint16_t index_;
};

struct RuleInfo : RuleDef {
  RuleId id;
};

// Every rule, in registry order.
const std::array<RuleInfo, kRuleCount>& Rules();
inline const RuleInfo& Rule(RuleId id) { return Rules()[id.index()]; }
std::optional<RuleId> RuleFromName(std::string_view name);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_CATALOG_H_
