// What proxy-port-reach and public-port-reach share, and what `check --reach`
// prints. Each rule judges one listener of SeiNode pods against the audience
// the policy allows it: a NetworkPolicy alone (admission, and `check` on the
// policy itself), or a pod with every NetworkPolicy of the input (`check`).
#ifndef SEIGUARD_RULES_REACH_H_
#define SEIGUARD_RULES_REACH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/judge.h"
#include "rules/netpol.h"
#include "rules/vap_cel.h"

namespace seiguard {

struct Listener {
  int64_t port = 0;
  std::string_view port_name;  // its name in SeiNode pods
  Audience audience;           // who may reach it
  std::string fix;             // short, and names the port: a warning keeps it whole
};

Listener ProxyListener(const Policy& policy);   // :8443, the controller
Listener PublicListener(const Policy& policy);  // :9100, monitoring and nodes

// Whether there is anything to judge: a NetworkPolicy, or a pod with the
// input's network (`check`). Cheap: the webhook's pod reviews stop here.
inline bool ReachApplies(const Judge& judge) {
  return judge.object().IsNetworkPolicy() || judge.network() != nullptr;
}
void JudgeReach(Judge& judge, const Listener& listener);

// A pod (or a template's pod) as NetworkPolicies see it.
struct PodTarget {
  std::string namespace_;
  Labels labels;
  std::vector<NamedPort> ports;  // its named container ports
};
PodTarget TargetOf(const Object& object);

// Who reaches the listener of `pod`: one row per peer of every ingress rule
// that admits the port, or one row when no policy isolates the pod.
struct ReachRow {
  std::string from;  // "pods control-plane=controller-manager in namespaces ..."
  std::string by;    // "pacific-1/seinode-split-listener ingress[0] (port 8443)"
  bool beyond = false;  // more than the audience
};
std::vector<ReachRow> WhoReaches(const NetworkContext& net, const PodTarget& pod, const Listener& listener);

// Who may reach the proxy port, in words: "the controller", and task
// clients when the policy names any.
std::string ProxyClientsWord(const Policy& p);

// The CEL twin of a reach rule: variable `variable` holds the ingress rules
// of the NetworkPolicy under review that let more than the audience (`who`,
// in words) reach the listener, as JudgeReach judges a NetworkPolicy alone;
// its one check fails when there is any.
void ReachTwin(const Listener& listener, const std::string& variable, std::string_view who, cel::Twin& twin);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_REACH_H_
