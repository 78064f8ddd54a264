#include "rules/catalog.h"

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

namespace {

constexpr std::array<RuleInfo, kRuleCount> kRules = {{
      {RuleId::kProxyIgnorePaths, "proxy-ignore-paths", Action::kDeny, false,
       "kube-rbac-proxy must not be started with --ignore-paths",
       "No element of the proxy container's command or args contains --ignore-paths "
       "(--ignore-paths=/a,/b, --ignore-paths followed by a value, or inside an sh -c "
       "string). Ignored paths skip authentication and the proxy's identity-header step, so "
       "a client's own X-Remote-User header reaches a sidecar that trusts it. The proxy "
       "container is any container named kube-rbac-proxy or whose image name contains "
       "kube-rbac-proxy.",
       "Remove --ignore-paths from the proxy; serve health and metrics from the sidecar's "
       "public listener (port 9100) instead."},
      {RuleId::kProbeOnProxyPort, "probe-on-proxy-port", Action::kDeny, false,
       "no kubelet probe may target the proxy port 8443",
       "No startupProbe, livenessProbe or readinessProbe of any container (init containers "
       "included) targets the proxy port with httpGet, tcpSocket or grpc. A named port is "
       "resolved against the probing container's own ports, as the kubelet does. The proxy "
       "answers 401 to the kubelet once --ignore-paths is gone.",
       "Point the probe at the sidecar's public port 9100, keeping its path "
       "(/v0/healthz, /v0/livez, /v0/startupz)."},
      {RuleId::kSidecarPublicPort, "sidecar-public-port", Action::kMutate, true,
       "the sidecar exposes containerPort 9100 named public",
       "The sei-sidecar container exposes containerPort 9100 named public (TCP). Another "
       "container already using 9100, a port named public with another number, or 9100 "
       "under another name is a conflict. The mutating webhook adds the port when missing.",
       "Add {name: public, containerPort: 9100, protocol: TCP} to the sei-sidecar "
       "container's ports, and free port 9100 and the name public elsewhere in the pod."},
      {RuleId::kSidecarPublicPortEnv, "sidecar-public-port-env", Action::kMutate, true,
       "the sidecar has SEI_SIDECAR_PUBLIC_PORT set to the public port",
       "The sei-sidecar container has env SEI_SIDECAR_PUBLIC_PORT equal to the public port. "
       "The mutating webhook adds it when missing; a different value is refused; a value "
       "from valueFrom cannot be checked and is a warning.",
       "Set env SEI_SIDECAR_PUBLIC_PORT to \"9100\" on the sei-sidecar container."},
      {RuleId::kNodeLabel, "node-label", Action::kMutate, true,
       "the pod carries sei.io/node naming its SeiNode",
       "The pod carries the sei.io/node label that platform NetworkPolicies select on. With "
       "a controlling StatefulSet owner, the value must be that StatefulSet's name (the "
       "SeiNode's name). The mutating webhook adds it from the owner; a disagreeing value, "
       "or a missing one with no owner to derive it from, is refused.",
       "Set the label sei.io/node to the SeiNode's name (the owning StatefulSet's name)."},
      {RuleId::kNodeLabelImmutable, "node-label-immutable", Action::kDeny, false,
       "sei.io/node is never removed or changed on update",
       "On UPDATE, the sei.io/node label is neither removed nor changed: a pod that loses "
       "it silently falls out of its NetworkPolicy.",
       "Keep the sei.io/node label and its value; recreate the pod to move it to another "
       "SeiNode."},
      {RuleId::kServicePorts, "service-ports", Action::kWarn, false,
       "a headless SeiNode Service exposes 8443 and 9100",
       "A headless Service of a SeiNode (label sei.io/node or a SeiNode owner) exposes both "
       "the proxy port 8443 and the public port 9100.",
       "Add the missing port (8443 for tasks through the proxy, 9100 for health and "
       "metrics) to the Service."},
}};

// Rule(id) indexes by position: an entry out of its enum's order would put
// one rule's name on another's findings. The build refuses that.
constexpr bool InIdOrder() {
  for (size_t i = 0; i < kRules.size(); ++i) {
    if (static_cast<size_t>(kRules[i].id) != i) return false;
  }
  return true;
}
static_assert(InIdOrder(), "rules/catalog.cc: kRules must list the rules in RuleId order");

}  // namespace

const std::array<RuleInfo, kRuleCount>& Rules() { return kRules; }

const RuleInfo& Rule(RuleId id) { return Rules()[static_cast<size_t>(id)]; }

std::optional<RuleId> RuleFromName(std::string_view name) {
  for (const RuleInfo& r : Rules()) {
    if (r.name == name) return r.id;
  }
  return std::nullopt;
}

}  // namespace seiguard
