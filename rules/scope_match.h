// Where the policy's scope meets the API server's own matching. The webhook
// configurations (webhooks.h) and the backstop (vap.h) are registered with
// the same three filters, built here once, so that every enforcement point
// sees exactly the objects the engine could judge (rules/engine.h InScope):
//   - resource rules: the policy's kinds, CREATE and UPDATE;
//   - a namespace selector leaving out the excluded namespaces and the
//     policy's exemptNamespaces;
//   - the match condition `seinode-object`: the engine's scope in CEL
//     (vap_cel.h ScopeCondition), on the object or, on UPDATE, the old one.
// The API server evaluates all three itself: an object they leave out is
// never sent to seiguard, so seiguard's outages and latency cannot touch it.
#ifndef SEIGUARD_RULES_SCOPE_MATCH_H_
#define SEIGUARD_RULES_SCOPE_MATCH_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/policy.h"

namespace seiguard {

// The namespaces seiguard's own configurations leave out besides the policy's
// exemptNamespaces: the control plane's, and seiguard's own (its pods must be
// able to start while it is down).
std::vector<std::string> DefaultExcludedNamespaces();

// `excluded`, then the policy's exemptNamespaces, each namespace once.
std::vector<std::string> ExcludedNamespaces(const Policy& policy, const std::vector<std::string>& excluded);

// {matchExpressions: [kubernetes.io/metadata.name NotIn excluded]}; null
// when `excluded` is empty (every namespace).
nlohmann::ordered_json NamespaceSelector(const std::vector<std::string>& excluded);

// One rule per API group of the policy's kinds (core, apps, batch,
// networking.k8s.io), with these operations; only kinds of `only` when it is
// not empty.
nlohmann::ordered_json ResourceRules(const Policy& policy, const std::vector<std::string>& operations,
                                     const std::vector<Kind>& only = {});

// The match condition every configuration carries: {name: seinode-object,
// expression: ScopeCondition(policy)}.
nlohmann::ordered_json ScopeMatchCondition(const Policy& policy);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_SCOPE_MATCH_H_
