#include "rules/scope_match.h"

#include <algorithm>
#include <string_view>

#include "rules/vap_cel.h"

namespace seiguard {

using ordered = nlohmann::ordered_json;

std::vector<std::string> DefaultExcludedNamespaces() { return {"kube-system", "seiguard-system"}; }

std::vector<std::string> ExcludedNamespaces(const Policy& policy, const std::vector<std::string>& excluded) {
  std::vector<std::string> out;
  for (const std::vector<std::string>* list : {&excluded, &policy.exempt_namespaces}) {
    for (const std::string& ns : *list) {
      if (std::find(out.begin(), out.end(), ns) == out.end()) out.push_back(ns);
    }
  }
  return out;
}

ordered NamespaceSelector(const std::vector<std::string>& excluded) {
  if (excluded.empty()) return nullptr;
  return {{"matchExpressions",
           {{{"key", "kubernetes.io/metadata.name"}, {"operator", "NotIn"}, {"values", excluded}}}}};
}

ordered ResourceRules(const Policy& policy, const std::vector<std::string>& operations,
                      const std::vector<Kind>& only) {
  ordered rules = ordered::array();
  for (std::string_view group : {"", "apps", "batch", "networking.k8s.io"}) {
    ordered resources = ordered::array();
    for (Kind kind : kJudgeableKinds) {
      if (KindGroup(kind) != group || !policy.Judges(kind)) continue;
      if (!only.empty() && std::find(only.begin(), only.end(), kind) == only.end()) continue;
      resources.push_back(KindResource(kind));
    }
    if (resources.empty()) continue;
    rules.push_back({{"apiGroups", {group}},
                     {"apiVersions", {"v1"}},
                     {"operations", operations},
                     {"resources", std::move(resources)},
                     {"scope", "Namespaced"}});
  }
  return rules;
}

ordered ScopeMatchCondition(const Policy& policy) {
  return {{"name", "seinode-object"}, {"expression", cel::ScopeCondition(policy)}};
}

}  // namespace seiguard
