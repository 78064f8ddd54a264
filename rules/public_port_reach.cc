// public-port-reach: through NetworkPolicies, only monitoring and the nodes
// reach the sidecar's unauthenticated public port (:9100).
#include "rules/reach.h"
#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  if (ReachApplies(judge)) JudgeReach(judge, PublicListener(judge.policy()));
}

void Cel(const Policy& p, cel::Twin& twin) { ReachTwin(PublicListener(p), "publicHoles", "monitoring and the nodes", twin); }

}  // namespace

const RuleDef registry::public_port_reach = {
    .name = "public-port-reach",
    .default_action = Action::kWarn,
    .patches = Patches::kNothing,
    .on_pod_update = OnPodUpdate::kWarn,
    .summary = "NetworkPolicies let only monitoring and the nodes reach the public port 9100",
    .description =
        "No NetworkPolicy ingress rule that can select SeiNode pods admits the sidecar's public port "
        "9100 (unauthenticated health and metrics) from beyond the monitoring namespace(s) and the "
        "node CIDRs (kubelet probes): an ipBlock passes when its cidr lies within one node CIDR. "
        "`seiguard check` also judges each SeiNode pod against every NetworkPolicy of its input.",
    .fix = "Allow 9100 only from the monitoring namespace (namespaceSelector "
           "kubernetes.io/metadata.name=monitoring) and the node CIDRs (ipBlock), as the platform "
           "policy in manifests/platform does.",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
