#include "rules/webhooks.h"

#include <string>
#include <utility>
#include <vector>

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

ordered Webhook(const Policy& policy, const WebhookOptions& options, const ordered& namespace_selector,
                const std::string& name, const char* path, const char* failure_policy, ordered rules) {
  ordered hook = {{"name", name},
                  {"admissionReviewVersions", {"v1"}},
                  {"sideEffects", "None"},
                  {"matchPolicy", "Equivalent"},
                  {"timeoutSeconds", options.timeout_seconds},
                  {"failurePolicy", failure_policy}};
  hook["clientConfig"] = {{"service",
                           {{"name", options.service_name},
                            {"namespace", options.service_namespace},
                            {"path", path},
                            {"port", options.service_port}}}};
  if (!namespace_selector.is_null()) hook["namespaceSelector"] = namespace_selector;
  hook["rules"] = std::move(rules);
  hook["matchConditions"] = ordered::array({ScopeMatchCondition(policy)});
  return hook;
}

ordered Configuration(const char* kind, const WebhookOptions& options, ordered webhooks) {
  return {{"apiVersion", "admissionregistration.k8s.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", options.name}}},
          {"webhooks", std::move(webhooks)}};
}

}  // namespace

std::vector<ordered> WebhookConfigurations(const Policy& policy, const WebhookOptions& options) {
  // seiguard's own namespace is always left out: its pods must be able to
  // start while it is down, wherever it is installed.
  std::vector<std::string> excluded = options.excluded_namespaces;
  excluded.push_back(options.service_namespace);
  const ordered selector = NamespaceSelector(ExcludedNamespaces(policy, excluded));
  // The validating side sees the final object: an outage must not let a
  // SeiNode object with an authentication hole in, so it fails closed. The
  // match condition keeps that to SeiNode objects.
  ordered validate = Webhook(policy, options, selector, "validate.seiguard.sei.io", "/validate", "Fail",
                             ResourceRules(policy, {"CREATE", "UPDATE"}));
  // Mutation may fail open (the good-practices pattern): /validate judges
  // the final object anyway. Called again when a later mutation changes the
  // pod; the patch is idempotent, so a second call adds nothing.
  ordered mutating_hooks = ordered::array();
  if (policy.Judges(Kind::kPod)) {
    ordered mutate = Webhook(policy, options, selector, "mutate.seiguard.sei.io", "/mutate", "Ignore",
                             ResourceRules(policy, {"CREATE"}, {Kind::kPod}));
    mutate["reinvocationPolicy"] = "IfNeeded";
    mutating_hooks.push_back(std::move(mutate));
  }
  return {Configuration("ValidatingWebhookConfiguration", options, ordered::array({std::move(validate)})),
          Configuration("MutatingWebhookConfiguration", options, std::move(mutating_hooks))};
}

}  // namespace seiguard
