// The in-tree backstop: the rules as ValidatingAdmissionPolicies
// (admissionregistration.k8s.io/v1, Kubernetes >= 1.30) that the apiserver
// evaluates in-process, with no network call to fail. Generated from the same
// policy the webhook runs, so the two layers cannot drift: every check the
// validating side makes is expressed in CEL (vap_cel.h), and each lands in
// the Deny or the Warn binding where the webhook would deny or warn.
#ifndef SEIGUARD_RULES_VAP_H_
#define SEIGUARD_RULES_VAP_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/policy.h"
#include "rules/scope_match.h"

namespace seiguard {

struct BackstopOptions {
  // Object names: <name>-deny and <name>-warn.
  std::string name = "seiguard-backstop";
  // Namespaces no binding applies in, besides the policy's exemptNamespaces:
  // the ones the webhook configurations leave out (webhooks.h).
  std::vector<std::string> excluded_namespaces = DefaultExcludedNamespaces();
};

// The rules whose file has no CEL twin (RuleDef::cel): the backstop cannot
// enforce them, and `seiguard vap` refuses to print a backstop without them.
std::vector<std::string_view> RulesWithoutTwin();

// The documents to apply, in order: the deny policy and its binding
// (validationActions [Deny]), then the warn policy and its binding
// ([Warn, Audit]). A pair with no validation (every rule off, or none
// warns) is left out.
std::vector<nlohmann::ordered_json> BackstopPolicies(const Policy& policy,
                                                     const BackstopOptions& options = {});

}  // namespace seiguard

#endif  // SEIGUARD_RULES_VAP_H_
