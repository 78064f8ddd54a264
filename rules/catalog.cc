#include "rules/catalog.h"

#include <utility>

#include "rules/rule.h"

namespace seiguard {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kOff: return "off";
    case Action::kWarn: return "warn";
    case Action::kDeny: return "deny";
    case Action::kMutate: return "mutate";
  }
  return "";
}

std::optional<Action> ActionFromName(std::string_view name) {
  if (name == "off") return Action::kOff;
  if (name == "warn") return Action::kWarn;
  if (name == "deny") return Action::kDeny;
  if (name == "mutate") return Action::kMutate;
  return std::nullopt;
}

// The registry's definitions, in its order, each given its position.
class Registry {
 public:
  static std::array<RuleInfo, kRuleCount> Build() { return Build(std::make_index_sequence<kRuleCount>()); }

 private:
  static constexpr const RuleDef* kDefs[] = {
#define SEIGUARD_RULE(id) &registry::id,
#include "rules/registry.inc"
#undef SEIGUARD_RULE
  };
  template <size_t... I>
  static std::array<RuleInfo, kRuleCount> Build(std::index_sequence<I...>) {
    return {RuleInfo{*kDefs[I], RuleId(I)}...};
  }
};

const std::array<RuleInfo, kRuleCount>& Rules() {
  static const std::array<RuleInfo, kRuleCount> kRules = Registry::Build();
  return kRules;
}

std::optional<RuleId> RuleFromName(std::string_view name) {
  for (const RuleInfo& r : Rules()) {
    if (r.name == name) return r.id;
  }
  return std::nullopt;
}

}  // namespace seiguard
