// proxy-port-reach: through NetworkPolicies, only the controller and the task
// clients reach the proxy port (:8443).
#include "rules/reach.h"
#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  if (ReachApplies(judge)) JudgeReach(judge, ProxyListener(judge.policy()));
}

void Cel(const Policy& p, cel::Twin& twin) { ReachTwin(ProxyListener(p), "proxyHoles", ProxyClientsWord(p), twin); }

}  // namespace

const RuleDef registry::proxy_port_reach = {
    .name = "proxy-port-reach",
    .default_action = Action::kWarn,
    .patches = Patches::kNothing,
    .on_pod_update = OnPodUpdate::kWarn,
    .summary = "NetworkPolicies let only the controller and task clients reach the proxy port 8443",
    .description =
        "No NetworkPolicy ingress rule that can select SeiNode pods (its podSelector tests sei.io/node "
        "or is empty) admits the proxy port 8443 (by number, range, its name api, or no ports at all) "
        "from beyond the controller's pods (namespace sei-k8s-controller-system, label "
        "control-plane=controller-manager) and the task clients (pods of the SeiNode's namespace "
        "labelled sei.io/sidecar-client=snapshot-upload or seictl-task by default; "
        "the policy's network.proxyClients): no empty from, no empty namespaceSelector, no ipBlock, no "
        "other namespace or pods. Policies only add, so one such rule is a hole whatever the others "
        "say. `seiguard check` also judges each SeiNode pod against every NetworkPolicy of its input, "
        "and reports a pod that no policy isolates.",
    .fix = "Allow 8443 only from the controller and the task clients: a from entry with "
           "namespaceSelector kubernetes.io/metadata.name=sei-k8s-controller-system and podSelector "
           "control-plane=controller-manager, and one podSelector per task client of the SeiNode's "
           "namespace (the platform policy, manifests/platform).",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
