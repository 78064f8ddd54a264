// The Validating- and MutatingWebhookConfiguration that register seiguard
// (admissionregistration.k8s.io/v1), generated from the policy, so that the
// API server calls seiguard for exactly the objects the policy could judge:
// its kinds, outside the excluded namespaces, and, through the match
// condition `seinode-object` (matchConditions, GA in Kubernetes 1.30), only
// when the object or, on UPDATE, the old object is in the policy's scope.
// The backstop (vap.h) carries the same three filters (scope_match.h).
// Everything else is decided inside the API server and never waits on
// seiguard, up or down.
#ifndef SEIGUARD_RULES_WEBHOOKS_H_
#define SEIGUARD_RULES_WEBHOOKS_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/policy.h"
#include "rules/scope_match.h"

namespace seiguard {

struct WebhookOptions {
  // Both configurations' name.
  std::string name = "seiguard";
  // The Service in front of `seiguard serve` (clientConfig.service).
  std::string service_name = "seiguard";
  std::string service_namespace = "seiguard-system";
  int service_port = 443;
  // 1..30 (the API server's bound); kept well under the user request's 60 s.
  int timeout_seconds = 5;
  // Namespaces never sent, besides the policy's exemptNamespaces and
  // service_namespace (always).
  std::vector<std::string> excluded_namespaces = DefaultExcludedNamespaces();
};

// The ValidatingWebhookConfiguration (/validate: the policy's kinds on CREATE
// and UPDATE, failurePolicy Fail), then the MutatingWebhookConfiguration
// (/mutate: Pods on CREATE, failurePolicy Ignore, reinvocationPolicy
// IfNeeded; no webhook in it when the policy judges no Pods).
std::vector<nlohmann::ordered_json> WebhookConfigurations(const Policy& policy,
                                                          const WebhookOptions& options = {});

}  // namespace seiguard

#endif  // SEIGUARD_RULES_WEBHOOKS_H_
