// The policy: every name, number and action the rules use. The defaults are
// embedded here; a policy file (YAML or JSON, converted to JSON by the caller)
// overrides any subset. Unknown keys and bad values are errors naming the key
// and the file, all reported at once.
#ifndef SEIGUARD_RULES_POLICY_H_
#define SEIGUARD_RULES_POLICY_H_

#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rules/catalog.h"
#include "rules/model.h"
#include "rules/netpol.h"
#include "rules/status.h"

namespace seiguard {

struct Policy {
  // The proxy container: any container with this name, or whose image name
  // (registry path without tag or digest) contains image_match.
  std::string proxy_container_name = "kube-rbac-proxy";
  std::string proxy_image_match = "kube-rbac-proxy";
  int64_t proxy_port = 8443;
  // The proxy port's name in SeiNode pods: a NetworkPolicy port given by
  // name is taken as the proxy port when it is this one (at admission the
  // pods are not known; `check` resolves names against the pods).
  std::string proxy_port_name = "api";

  std::string sidecar_name = "sei-sidecar";
  int64_t public_port = 9100;
  std::string public_port_name = "public";
  std::string public_port_env = "SEI_SIDECAR_PUBLIC_PORT";
  // The sidecar images that serve the public listener: remediation (policy
  // remediate, check --fix) moves probes to it and drops --ignore-paths only
  // where the sidecar's image is one of these; elsewhere the finding says to
  // roll such a sidecar out first. An entry is ">=VERSION" (the image's tag as
  // a version: "v0.0.71" or "0.0.71", a pre-release below its release), an
  // image name (any tag or digest of it) or a full reference (exactly that
  // tag or digest), or "*" (any image). The default, "*", is DESIGN.md's
  // migration case (a sidecar already split behind an older controller);
  // on today's fleet, where no released seictl serves :9100 (its serve.go:30
  // and :158-165 at v0.0.70 read one port and open one listener), list the
  // images that do, so that nothing else is rewritten.
  std::vector<std::string> public_listener_images = {"*"};

  std::string node_label = "sei.io/node";

  // Scope: workloads and Services owned by this kind are SeiNode objects;
  // only these kinds are judged at all.
  std::string owner_kind = "SeiNode";
  std::vector<Kind> kinds{std::begin(kJudgeableKinds), std::end(kJudgeableKinds)};
  // Bootstrap pods: sei-k8s-controller's bootstrap Job pods and their
  // headless Service carry these labels (internal/task/bootstrap_resources.go
  // BootstrapLabels). They run seid to a halt height behind a proxy with no
  // --ignore-paths and no probes, and nothing scrapes or probes their sidecar:
  // it gets no public port or env var (neither injected nor required), and
  // their Service needs no public port. The proxy and probe rules still
  // judge them. Empty: no pod is a bootstrap pod.
  Labels bootstrap_labels = {{"sei.io/component", "bootstrap"}};

  // Who may reach the two ports through NetworkPolicies (the defaults of
  // manifests/platform/params.yaml): the controller's pods and the other
  // clients of the task API reach the proxy; monitoring and the nodes
  // (kubelet probes) reach the public port.
  std::string controller_namespace = "sei-k8s-controller-system";
  Labels controller_pod_labels = {{"control-plane", "controller-manager"}};
  // Besides the controller, the task API's clients (seictl task/client.go:24
  // dials :8443): the snapshot-upload CronJob (`seictl task snapshot-upload`,
  // task/cmd.go:13-16) and operators' `seictl task` pods, each by a label the
  // platform puts on their pods, in the SeiNode's namespace ("").
  std::vector<AudiencePeer> proxy_clients = {
      {"", {{"sei.io/sidecar-client", "snapshot-upload"}}},
      {"", {{"sei.io/sidecar-client", "seictl-task"}}},
  };
  std::vector<std::string> monitoring_namespaces = {"monitoring"};
  std::vector<std::string> node_cidrs = {"10.0.0.0/16"};

  std::array<Action, kRuleCount> actions = DefaultActions();
  // Ratcheting on UPDATE (after Kubernetes' validation ratcheting, KEP-4008):
  // a denying finding the old object already had is only warned, so that an
  // unrelated edit of an existing object (a controller's reconcile, an image
  // bump) is never refused for what was already there. Per rule; on for all.
  std::array<bool, kRuleCount> ratchet = AllRatchet();

  // The users of the workload controllers whose Pods are only warned (none by
  // default). A Pod such a user creates with a controlling owner is made
  // from a template admission has already judged, and ratcheted: trusting it
  // lets a StatefulSet or Job whose template still has what it had before
  // replace its pods. Typically kube-controller-manager's users:
  // system:kube-controller-manager, and with --use-service-account-credentials
  // system:serviceaccount:kube-system:{statefulset,job,replicaset}-controller.
  // Off by default: the legacy pod a controller creates is denied (DESIGN.md).
  // Trusted by the request's user, never by ownerReferences (anyone may
  // write one).
  std::vector<std::string> workload_controllers;

  // The mutating side also rewrites probes aimed at the proxy port and drops
  // --ignore-paths (a migration aid; off by default).
  bool remediate = false;

  std::vector<std::string> exempt_namespaces;

  Action action(RuleId id) const { return actions[id.index()]; }
  bool Ratchets(RuleId id) const { return ratchet[id.index()]; }
  bool Judges(Kind kind) const;
  Audience ProxyAudience() const;
  Audience PublicAudience() const;
  bool Exempt(std::string_view ns) const;
  // True when `labels` hold every bootstrap label (never when there are none).
  bool IsBootstrap(const ObjectMeta& meta) const;
  bool IsWorkloadController(std::string_view user) const;
  bool ServesPublicListener(std::string_view image) const;
  // True when only a "*" entry takes `image` to serve the public listener:
  // remediation then rests on an assumption the pod does not show.
  bool AssumesPublicListener(std::string_view image) const;

  static std::array<Action, kRuleCount> DefaultActions();
  static std::array<bool, kRuleCount> AllRatchet();
};

// Builds a policy from a parsed policy document. `source` names the file in
// messages. Every field is optional; unknown keys, wrong types and values out
// of range are errors, all listed (one per line).
StatusOr<Policy> PolicyFromJson(const nlohmann::json& doc, std::string_view source);

// The full policy as a document PolicyFromJson accepts (for `seiguard policy`),
// keys in the documented order, rules in registry order.
nlohmann::ordered_json PolicyToJson(const Policy& policy);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_POLICY_H_
