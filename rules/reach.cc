#include "rules/reach.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace seiguard {
namespace {

std::string PortText(int64_t port) { return ":" + std::to_string(port); }

// Reports each source of excess one rule of `np` grants toward the listener,
// at `pod` (a pod's findings) or, when null, at the rule or peer itself.
void JudgeRule(Judge& judge, const NetworkPolicy& np, size_t index, const Listener& listener,
               const std::vector<NamedPort>& pod_ports, const std::vector<NamespaceInfo>& namespaces,
               const std::string& prefix, const Path* pod, const std::string& fix) {
  const IngressRule& rule = np.ingress[index];
  if (!PortsAdmit(rule.ports, listener.port, pod_ports)) return;
  std::string via = DescribePorts(rule.ports, listener.port, pod_ports);
  std::string where = prefix + "ingress[" + std::to_string(index) + "] lets ";
  // The audience goes last: a warning cut to 120 bytes keeps the start.
  std::string reach = " reach " + PortText(listener.port) + " (" + via + "); allowed: " + listener.audience.Describe();
  Path rule_path = pod != nullptr ? *pod : Path().Key("spec").Key("ingress").Index(index);
  if (rule.from.empty()) {
    judge.Violation(rule_path, "", where + PeerExcess(np, rule, 0, listener.audience, namespaces) + reach, fix);
    return;
  }
  for (size_t j = 0; j < rule.from.size(); ++j) {
    std::string excess = PeerExcess(np, rule, j, listener.audience, namespaces);
    if (excess.empty()) continue;
    judge.Violation(pod != nullptr ? rule_path : rule_path.Key("from").Index(j), "", where + excess + reach, fix);
  }
}

// The policies of the input that isolate `pod` for ingress: empty when none
// does, and then every pod in the cluster reaches it.
std::vector<const NetworkPolicy*> Isolating(const NetworkContext& net, const PodTarget& pod) {
  std::vector<const NetworkPolicy*> out;
  for (const NetworkPolicy& np : net.policies) {
    if (np.Isolates(pod.namespace_, pod.labels)) out.push_back(&np);
  }
  return out;
}

}  // namespace

std::string ProxyClientsWord(const Policy& p) {
  return p.proxy_clients.empty() ? "the controller" : "the controller and task clients";
}

Listener ProxyListener(const Policy& p) {
  return {p.proxy_port, p.proxy_port_name, p.ProxyAudience(),
          "narrow :" + std::to_string(p.proxy_port) + " to " + ProxyClientsWord(p)};
}
Listener PublicListener(const Policy& p) {
  return {p.public_port, p.public_port_name, p.PublicAudience(),
          "narrow who reaches :" + std::to_string(p.public_port) + " to monitoring and the nodes"};
}

PodTarget TargetOf(const Object& obj) {
  PodTarget t;
  t.namespace_.assign(obj.meta.namespace_);
  for (const auto& [k, v] : obj.pod.meta.labels) t.labels.emplace_back(std::string(k), std::string(v));
  for (const Container& c : obj.pod.containers) {
    for (const ContainerPort& p : c.ports) {
      if (!p.name.empty()) t.ports.push_back({std::string(p.name), p.container_port, p.IsTcp() ? "TCP" : std::string(p.protocol)});
    }
  }
  return t;
}

std::vector<ReachRow> WhoReaches(const NetworkContext& net, const PodTarget& pod, const Listener& l) {
  std::vector<ReachRow> rows;
  const std::vector<const NetworkPolicy*> isolating = Isolating(net, pod);
  for (const NetworkPolicy* np : isolating) {
    for (size_t i = 0; i < np->ingress.size(); ++i) {
      const IngressRule& rule = np->ingress[i];
      if (!PortsAdmit(rule.ports, l.port, pod.ports)) continue;
      std::string by = np->namespace_ + "/" + np->name + " ingress[" + std::to_string(i) + "] (" +
                       DescribePorts(rule.ports, l.port, pod.ports) + ")";
      for (size_t j = 0; j < std::max<size_t>(rule.from.size(), 1); ++j) {
        rows.push_back({DescribePeer(*np, rule, j), by, !PeerExcess(*np, rule, j, l.audience, net.namespaces).empty()});
      }
    }
  }
  if (isolating.empty()) rows.push_back({"every pod in the cluster", "no NetworkPolicy selects the pod", true});
  return rows;
}

void JudgeReach(Judge& judge, const Listener& listener) {
  static const std::vector<NamespaceInfo> kNoNamespaces;
  const NetworkContext* net = judge.network();
  const std::vector<NamespaceInfo>& namespaces = net != nullptr ? net->namespaces : kNoNamespaces;
  const std::string fix(listener.fix);
  const Object& obj = judge.object();
  if (obj.IsNetworkPolicy()) {
    // Alone: the pods are not known, so a named port is the listener's when
    // it is the name SeiNode pods give it.
    std::vector<NamedPort> ports = {{std::string(listener.port_name), listener.port, "TCP"}};
    const NetworkPolicy& np = obj.network_policy;
    for (size_t i = 0; i < np.ingress.size(); ++i) {
      JudgeRule(judge, np, i, listener, ports, namespaces, "", nullptr, fix);
    }
    return;
  }
  const PodView& pod = judge.pod();
  if (net == nullptr || !pod.present) return;
  const PodTarget target = TargetOf(obj);
  if (!net->Describes(target.namespace_)) return;
  const std::vector<const NetworkPolicy*> isolating = Isolating(*net, target);
  for (const NetworkPolicy* np : isolating) {
    for (size_t i = 0; i < np->ingress.size(); ++i) {
      JudgeRule(judge, *np, i, listener, target.ports, namespaces,
                "NetworkPolicy " + np->namespace_ + "/" + np->name + " ", &pod.meta_path, fix);
    }
  }
  if (isolating.empty()) {
    judge.Violation(pod.meta_path, "",
                    "no NetworkPolicy selects this pod: every pod in the cluster reaches " + PortText(listener.port),
                    "apply the platform NetworkPolicy (manifests/platform) in namespace " +
                        (target.namespace_.empty() ? std::string("(the pod's)") : target.namespace_));
  }
}

namespace {

const std::string kNameLabel = "'kubernetes.io/metadata.name'";

// Selector `s` matches a namespace whose only label is its name `c`.
std::string MatchesOnlyName(const std::string& s, const std::string& c) {
  return "((!has(" + s + ".matchLabels) || " + s + ".matchLabels.all(k, k == " + kNameLabel + " && " + s +
         ".matchLabels[k] == " + c + "))\n      && (!has(" + s + ".matchExpressions) || " + s +
         ".matchExpressions.all(e,\n        e.operator == 'In' ? e.key == " + kNameLabel +
         " && has(e.values) && " + c + " in e.values\n        : e.operator == 'NotIn' ? e.key != " + kNameLabel +
         " || !has(e.values) || !(" + c + " in e.values)\n        : e.operator == 'Exists' ? e.key == " +
         kNameLabel + " : e.key != " + kNameLabel + ")))";
}

// Selector `s` selects a namespace outside `aud`: one it names, or any other.
std::string NamespacesBeyond(const std::string& s, const std::string& aud) {
  return "(" + MatchesOnlyName(s, "''") + "\n    || (has(" + s + ".matchLabels) && " + kNameLabel + " in " + s +
         ".matchLabels && !(" + s + ".matchLabels[" + kNameLabel + "] in " + aud + ") && " +
         MatchesOnlyName(s, s + ".matchLabels[" + kNameLabel + "]") + ")\n    || (has(" + s +
         ".matchExpressions) && " + s + ".matchExpressions.exists(x, x.key == " + kNameLabel +
         " && has(x.values) && x.values.exists(c, !(c in " + aud + ") && " + MatchesOnlyName(s, "c") + "))))";
}

// Peer `p`'s podSelector implies every label of `required`.
std::string PodsWithin(const std::string& p, const Labels& required) {
  if (required.empty()) return "true";
  std::string out = "(has(" + p + ".podSelector)";
  const std::string s = p + ".podSelector";
  for (const auto& [k, v] : required) {
    out += " && ((has(" + s + ".matchLabels) && " + cel::Str(k) + " in " + s + ".matchLabels && " + s +
           ".matchLabels[" + cel::Str(k) + "] == " + cel::Str(v) + ") || (has(" + s + ".matchExpressions) && " + s +
           ".matchExpressions.exists(e, e.key == " + cel::Str(k) +
           " && e.operator == 'In' && has(e.values) && size(e.values) > 0 && e.values.all(x, x == " + cel::Str(v) +
           "))))";
  }
  return out + ")";
}

// A CIDR string that lies within one of `allowed`, through the Kubernetes
// CEL network library: cidr(a).containsCIDR(c) is Go's Overlaps plus a
// prefix no shorter than a's, false across families, exactly Cidr::Contains.
// isCIDR guards the call (ipBlock.cidr may be unparsable, as in Cidr::Parse).
std::string BlockWithin(const std::string& cidr, const std::vector<std::string>& allowed) {
  std::string out;
  for (const std::string& a : allowed) {
    if (!Cidr::Parse(a)) continue;
    out += (out.empty() ? "" : " || ") + std::string("cidr(") + cel::Str(a) + ").containsCIDR(" + cidr + ")";
  }
  return out.empty() ? "false" : "(isCIDR(" + cidr + ") && (" + out + "))";
}

// Every pod peer `p` selects in namespace `n` (a CEL string) is one of the
// audience's peers there, as Audience::In and PeerExcess's `covered`.
std::string PodsAllowedIn(const Audience& audience, const std::vector<std::string>& ns_of, const std::string& n) {
  std::string out;
  for (size_t i = 0; i < audience.peers.size(); ++i) {
    std::string within = PodsWithin("p", audience.peers[i].pod_labels);
    std::string term = ns_of[i] == n ? within : within == "true" ? "(" + ns_of[i] + " == " + n + ")"
                                                                  : "(" + ns_of[i] + " == " + n + " && " + within + ")";
    if (term == "true") return "true";
    out += (out.empty() ? "" : " || ") + term;
  }
  return out.empty() ? "false" : "(" + out + ")";
}

}  // namespace

void ReachTwin(const Listener& l, const std::string& variable, std::string_view who, cel::Twin& twin) {
  // Each peer's namespace as CEL: "" is the NetworkPolicy's own; string(),
  // since the API server's CEL wants a list literal of one type and the
  // object's namespace is dyn beside the names.
  const std::string own = "string(has(object.metadata.namespace) ? object.metadata.namespace : '')";
  std::vector<std::string> ns_of, distinct;
  for (const AudiencePeer& peer : l.audience.peers) {
    ns_of.push_back(peer.namespace_.empty() ? own : cel::Str(peer.namespace_));
    if (std::find(distinct.begin(), distinct.end(), ns_of.back()) == distinct.end()) distinct.push_back(ns_of.back());
  }
  std::string aud = "[", pods_beyond;
  for (const std::string& n : distinct) {
    aud += (aud.size() > 1 ? ", " : "") + n;
    std::string allowed = PodsAllowedIn(l.audience, ns_of, n);
    if (allowed == "true") continue;
    pods_beyond += (pods_beyond.empty() ? "" : "\n    || ") + std::string("(") +
                   MatchesOnlyName("p.namespaceSelector", n) + " && !" + allowed + ")";
  }
  aud += "]";
  const std::string port = std::to_string(l.port), name = cel::Str(l.port_name);
  std::string admits =
      "(!has(r.ports) || size(r.ports) == 0 || r.ports.exists(q, (!has(q.protocol) || q.protocol == 'TCP')\n"
      "    && (!has(q.port) || (type(q.port) == string ? q.port == " + name + " : (has(q.endPort) ? q.port <= " +
      port + " && " + port + " <= q.endPort : q.port == " + port + ")))))";
  std::string peer = "(has(p.ipBlock) ? !" + BlockWithin("p.ipBlock.cidr", l.audience.cidrs) +
                     "\n    : !has(p.namespaceSelector) ? !" + PodsAllowedIn(l.audience, ns_of, own) + "\n    : " +
                     NamespacesBeyond("p.namespaceSelector", aud) +
                     (pods_beyond.empty() ? "" : "\n    || " + pods_beyond) + ")";
  twin.variables.push_back(
      {variable, "variables.npScoped && has(object.spec.ingress) ? object.spec.ingress.filter(r, " + admits +
                     "\n  && (!has(r.from) || size(r.from) == 0 || r.from.exists(p, " + peer + "))) : []"});
  twin.checks.push_back({cel::Class::kViolation, "size(variables." + variable + ") > 0", "''",
                         cel::Str("an ingress rule lets more than " + std::string(who) + " reach :" + port),
                         cel::Str(std::string(l.fix))});
}

}  // namespace seiguard
