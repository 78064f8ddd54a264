// NetworkPolicy (networking.k8s.io/v1) semantics, as the API reference
// defines them (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
// and https://kubernetes.io/docs/concepts/services-networking/network-policies/):
//
//   - spec.podSelector selects pods in the policy's namespace; empty selects
//     all of them. A LabelSelector's matchLabels and matchExpressions are
//     ANDed; In, NotIn, Exists, DoesNotExist (NotIn and DoesNotExist match a
//     pod without the key).
//   - policyTypes: when absent, Ingress is always in it (Egress only when the
//     policy has egress rules). A pod is isolated for ingress when at least
//     one policy selecting it has Ingress; then only what some rule of some
//     such policy allows reaches it (policies add, never subtract). A pod no
//     policy isolates is reachable by everyone.
//   - An ingress rule allows traffic matching one of its `from` peers AND one
//     of its `ports`. Empty or missing `from`: every source. Empty or missing
//     `ports`: every port.
//   - A peer: podSelector alone selects pods of the policy's namespace;
//     namespaceSelector alone all pods of the namespaces it selects ({}: every
//     namespace); both together the pods matching podSelector in those
//     namespaces; ipBlock a CIDR minus its `except` CIDRs.
//   - A port: protocol (default TCP); port as a number or a name resolved
//     against the destination pod's container ports; missing port: every port
//     of the protocol; endPort makes port..endPort a range.
//
// Everything here is pure and owns its strings: the objects outlive the
// documents they were read from (`check` relates objects across files).
#ifndef SEIGUARD_RULES_NETPOL_H_
#define SEIGUARD_RULES_NETPOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seiguard {

using Labels = std::vector<std::pair<std::string, std::string>>;

const std::string* FindLabel(const Labels& labels, std::string_view key);

struct SelectorRequirement {
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<SelectorRequirement> expressions;

  bool Empty() const { return match_labels.empty() && expressions.empty(); }
  bool Matches(const Labels& labels) const;
  // True when every set of labels this selector matches carries all of
  // `required` (a sound test: false when it cannot be shown).
  bool Implies(const Labels& required) const;
  // True when some requirement names `key` in a way that can select a pod
  // carrying it (matchLabels, In, Exists, NotIn).
  bool Mentions(std::string_view key) const;
  // "{}" for the empty selector, else "a=b, c in (x, y), !d".
  std::string Describe() const;
};

// An IPv4 or IPv6 prefix.
struct Cidr {
  std::vector<uint8_t> address;  // 4 or 16 bytes
  int bits = 0;

  static std::optional<Cidr> Parse(std::string_view text);
  bool Contains(const Cidr& other) const;  // other lies within this
};

struct IpBlock {
  std::string cidr;
  std::vector<std::string> except;
};

struct NetworkPolicyPeer {
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
  std::optional<IpBlock> ip_block;
};

struct NetworkPolicyPort {
  std::string protocol = "TCP";
  bool has_port = false;
  bool named = false;
  int64_t number = 0;
  std::string name;
  std::optional<int64_t> end_port;
};

struct IngressRule {
  std::vector<NetworkPolicyPeer> from;    // empty: every source
  std::vector<NetworkPolicyPort> ports;   // empty: every port
};

struct NetworkPolicy {
  std::string namespace_;
  std::string name;
  LabelSelector pod_selector;
  bool ingress_type = true;  // policyTypes holds Ingress (the default)
  std::vector<IngressRule> ingress;

  // Selects a pod of `pod_namespace` with `pod_labels` for ingress isolation.
  bool Isolates(std::string_view pod_namespace, const Labels& pod_labels) const;
};

// A named container port of the destination pod.
struct NamedPort {
  std::string name;
  int64_t number = 0;
  std::string protocol = "TCP";
};

// Whether a rule's ports admit TCP `port` on a pod with `pod_ports`.
bool PortsAdmit(const std::vector<NetworkPolicyPort>& ports, int64_t port, const std::vector<NamedPort>& pod_ports);
// "port api", "port 8443", "ports 8000-9000", "every port".
std::string DescribePorts(const std::vector<NetworkPolicyPort>& ports, int64_t port,
                          const std::vector<NamedPort>& pod_ports);

// Who may reach a port: pods in `namespaces` carrying `pod_labels` (empty:
// any pod there), and addresses within `cidrs`.
// One kind of peer allowed to reach a listener: the pods with these labels
// (every pod when none) in this namespace ("": the namespace of the
// NetworkPolicy, which is the SeiNode's).
struct AudiencePeer {
  std::string namespace_;
  Labels pod_labels;
};

struct Audience {
  std::vector<AudiencePeer> peers;
  std::vector<std::string> cidrs;

  std::string Describe() const;
  // The label sets allowed in namespace `ns`, where `own` is the policy's
  // namespace; empty when nobody there is.
  std::vector<const Labels*> In(std::string_view ns, std::string_view own) const;
};

// A namespace as the evaluator knows it: its name and labels. The name label
// kubernetes.io/metadata.name is always among them (the API server sets it).
struct NamespaceInfo {
  std::string name;
  Labels labels;
};

// What one peer admits ("every source" for a rule without `from`), in words.
std::string DescribePeer(const NetworkPolicy& policy, const IngressRule& rule, size_t peer);

// What one peer (or a rule without `from`) admits beyond an audience: empty
// when nothing. `namespaces` is every namespace known; a namespace not in
// it is taken to carry only its name label.
std::string PeerExcess(const NetworkPolicy& policy, const IngressRule& rule, size_t peer,
                       const Audience& audience, const std::vector<NamespaceInfo>& namespaces);

// What `check` knows of the cluster's network from its input, to say who
// reaches a pod. The webhook has none: it judges each NetworkPolicy alone.
struct NetworkContext {
  std::vector<NetworkPolicy> policies;    // every NetworkPolicy of the input
  std::vector<NamespaceInfo> namespaces;  // every Namespace object of the input
  // Whether the input describes the network of namespace `ns`: it holds its
  // Namespace object or a NetworkPolicy in it. Elsewhere nothing is judged:
  // a folder of workload manifests says nothing of the cluster's policies.
  bool Describes(std::string_view ns) const;
};

}  // namespace seiguard

#endif  // SEIGUARD_RULES_NETPOL_H_
