// The NetworkPolicy evaluator against networking.k8s.io/v1 as the API
// reference defines it. Each test names the sentence of the reference it
// pins: https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
// ("ref") and https://kubernetes.io/docs/concepts/services-networking/network-policies/ ("concepts").
#include "rules/netpol.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "rules/decode.h"
#include "rules/reach.h"

namespace seiguard {
namespace {

NetworkPolicy Parse(const std::string& json) {
  JsonParser parser;
  auto root = parser.Parse(json);
  EXPECT_TRUE(root.ok()) << json;
  StatusOr<Object> obj = DecodeObject(*root, Kind::kNetworkPolicy);
  EXPECT_TRUE(obj.ok()) << obj.status().message();
  return obj.ok() ? obj->network_policy : NetworkPolicy{};
}

// A policy in namespace "sei" over pods with sei.io/node, with `spec_rest`
// after the podSelector.
NetworkPolicy Policy(const std::string& spec_rest, const std::string& selector = R"({"matchExpressions":[{"key":"sei.io/node","operator":"Exists"}]})") {
  return Parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"p","namespace":"sei"},"spec":{"podSelector":)" +
               selector + (spec_rest.empty() ? "" : "," + spec_rest) + "}}");
}

LabelSelector Selector(const std::string& json) { return Policy("", json).pod_selector; }

const Labels kSeiPod = {{"sei.io/node", "n0"}, {"app", "seid"}};
const std::vector<NamedPort> kPorts = {{"api", 8443, "TCP"}, {"public", 9100, "TCP"}, {"p2p", 26656, "TCP"}};
const Audience kController = {{{"ctl", {{"control-plane", "controller-manager"}}}}, {}};
const Audience kMonitoring = {{{"monitoring", {}}}, {"10.0.0.0/16"}};

std::string Excess(const NetworkPolicy& np, size_t rule, size_t peer, const Audience& audience,
                   const std::vector<NamespaceInfo>& namespaces = {}) {
  return PeerExcess(np, np.ingress.at(rule), peer, audience, namespaces);
}

// ref, LabelSelector: "The requirements are ANDed"; "An empty label selector
// matches all objects".
TEST(NetpolSelector, MatchLabelsAndExpressionsAreAnded) {
  LabelSelector s = Selector(R"({"matchLabels":{"app":"seid"},"matchExpressions":[{"key":"sei.io/node","operator":"Exists"}]})");
  EXPECT_TRUE(s.Matches(kSeiPod));
  EXPECT_FALSE(s.Matches({{"app", "seid"}}));
  EXPECT_FALSE(s.Matches({{"sei.io/node", "n0"}}));
  EXPECT_TRUE(Selector("{}").Matches({}));
  EXPECT_TRUE(Selector("{}").Empty());
}

// ref, LabelSelectorRequirement: "operator represents a key's relationship to
// a set of values. Valid operators are In, NotIn, Exists and DoesNotExist."
// NotIn and DoesNotExist select objects without the key (labels.Selector).
TEST(NetpolSelector, EveryOperator) {
  LabelSelector in = Selector(R"({"matchExpressions":[{"key":"role","operator":"In","values":["rpc","val"]}]})");
  EXPECT_TRUE(in.Matches({{"role", "rpc"}}));
  EXPECT_FALSE(in.Matches({{"role", "seed"}}));
  EXPECT_FALSE(in.Matches({}));
  LabelSelector notin = Selector(R"({"matchExpressions":[{"key":"role","operator":"NotIn","values":["rpc"]}]})");
  EXPECT_FALSE(notin.Matches({{"role", "rpc"}}));
  EXPECT_TRUE(notin.Matches({{"role", "val"}}));
  EXPECT_TRUE(notin.Matches({}));
  LabelSelector gone = Selector(R"({"matchExpressions":[{"key":"role","operator":"DoesNotExist"}]})");
  EXPECT_TRUE(gone.Matches({}));
  EXPECT_FALSE(gone.Matches({{"role", ""}}));
}

TEST(NetpolSelector, AnUnknownOperatorIsADecodeError) {
  JsonParser parser;
  auto root = parser.Parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{"podSelector":{"matchExpressions":[{"key":"a","operator":"Equals"}]}}})");
  ASSERT_TRUE(root.ok());
  std::string at;
  StatusOr<Object> obj = DecodeObject(*root, Kind::kNetworkPolicy, &at);
  ASSERT_FALSE(obj.ok());
  EXPECT_EQ(at, "/spec/podSelector/matchExpressions/0");
}

// ref, policyTypes: "If this field is not specified, it will default based on
// the existence of ingress or egress rules; policies that contain an egress
// section are assumed to affect egress, and all policies (whether or not
// they contain an ingress section) are assumed to affect ingress."
// concepts: a pod is isolated for ingress if any NetworkPolicy selects it and
// has Ingress in its policyTypes.
TEST(NetpolIsolation, PolicyTypesDefaultToIngress) {
  EXPECT_TRUE(Policy("").Isolates("sei", kSeiPod));
  EXPECT_TRUE(Policy(R"("policyTypes":[])").Isolates("sei", kSeiPod));
  EXPECT_TRUE(Policy(R"("policyTypes":["Ingress","Egress"])").Isolates("sei", kSeiPod));
  EXPECT_FALSE(Policy(R"("policyTypes":["Egress"])").Isolates("sei", kSeiPod));
  // Only pods of the policy's own namespace, only those its selector matches.
  EXPECT_FALSE(Policy("").Isolates("other", kSeiPod));
  EXPECT_FALSE(Policy("").Isolates("sei", {{"app", "web"}}));
  EXPECT_TRUE(Policy("", "{}").Isolates("sei", {{"app", "web"}}));
}

// ref, NetworkPolicyIngressRule.from: "If this field is empty or missing, this
// rule matches all sources (traffic not restricted by source)."
TEST(NetpolPeers, EmptyOrMissingFromIsEverySource) {
  for (const char* rule : {R"({"ports":[{"port":8443}]})", R"({"from":[],"ports":[{"port":8443}]})"}) {
    NetworkPolicy np = Policy(std::string(R"("ingress":[)") + rule + "]");
    EXPECT_EQ(Excess(np, 0, 0, kController), "every source (the rule has no from)") << rule;
    EXPECT_EQ(DescribePeer(np, np.ingress[0], 0), "every source");
  }
}

// ref, NetworkPolicyPeer.podSelector: "If namespaceSelector is also set, then
// the NetworkPolicyPeer as a whole selects the Pods matching podSelector in
// the Namespaces selected by NamespaceSelector. Otherwise it selects the Pods
// matching podSelector in the policy's own namespace."
TEST(NetpolPeers, PodSelectorAloneIsThePolicysNamespace) {
  NetworkPolicy np = Policy(R"("ingress":[{"from":[{"podSelector":{"matchLabels":{"control-plane":"controller-manager"}}}]}])");
  EXPECT_EQ(Excess(np, 0, 0, kController), "pods matching control-plane=controller-manager in namespace sei");
  Audience here = kController;
  here.peers[0].namespace_ = "sei";
  EXPECT_EQ(Excess(np, 0, 0, here), "");
}

// Several peers: each namespace holds only the label sets allowed there; ""
// is the policy's own namespace.
TEST(NetpolPeers, AnAudienceOfSeveralPeersHoldsEachWhereItIs) {
  const Audience clients = {{{"ctl", {{"control-plane", "controller-manager"}}},
                             {"", {{"sei.io/sidecar-client", "snapshot-upload"}}},
                             {"", {{"sei.io/sidecar-client", "seictl-task"}}}},
                            {}};
  EXPECT_EQ(clients.Describe(),
            "pods with control-plane=controller-manager in namespace ctl, pods with "
            "sei.io/sidecar-client=snapshot-upload in the SeiNode's namespace and pods with "
            "sei.io/sidecar-client=seictl-task in the SeiNode's namespace");
  NetworkPolicy own = Policy(R"("ingress":[{"from":[
      {"podSelector":{"matchLabels":{"sei.io/sidecar-client":"seictl-task","team":"ops"}}},
      {"podSelector":{"matchLabels":{"control-plane":"controller-manager"}}},
      {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"sei"}},
       "podSelector":{"matchLabels":{"sei.io/sidecar-client":"snapshot-upload"}}},
      {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ctl"}},
       "podSelector":{"matchLabels":{"sei.io/sidecar-client":"snapshot-upload"}}}]}])");
  EXPECT_EQ(Excess(own, 0, 0, clients), "");
  EXPECT_EQ(Excess(own, 0, 1, clients),
            "pods matching control-plane=controller-manager in namespace sei, not only "
            "sei.io/sidecar-client=snapshot-upload or sei.io/sidecar-client=seictl-task");
  EXPECT_EQ(Excess(own, 0, 2, clients), "");
  EXPECT_EQ(Excess(own, 0, 3, clients),
            "pods matching sei.io/sidecar-client=snapshot-upload in namespace ctl, not only "
            "control-plane=controller-manager");
  const Audience nobody = {{}, {}};
  EXPECT_EQ(nobody.Describe(), "nobody");
  EXPECT_EQ(Excess(own, 0, 0, nobody), "pods matching sei.io/sidecar-client=seictl-task, team=ops in namespace sei");
}

// ref, NetworkPolicyPeer.namespaceSelector: "selects namespaces using cluster-
// scoped labels ... If podSelector is also set ... Otherwise it selects all
// Pods in the Namespaces selected by namespaceSelector." An empty selector
// selects every namespace.
TEST(NetpolPeers, NamespaceSelectorAloneAndWithPods) {
  NetworkPolicy np = Policy(R"("ingress":[{"from":[
      {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ctl"}}},
      {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ctl"}},"podSelector":{"matchLabels":{"control-plane":"controller-manager"}}},
      {"namespaceSelector":{}},
      {"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ctl"}},"podSelector":{"matchLabels":{"app":"x"}}}]}])");
  EXPECT_EQ(Excess(np, 0, 0, kController), "every pod in namespace ctl, not only control-plane=controller-manager");
  EXPECT_EQ(Excess(np, 0, 1, kController), "");  // AND: the controller's pods in its namespace
  EXPECT_EQ(Excess(np, 0, 2, kController), "every namespace");
  EXPECT_NE(Excess(np, 0, 3, kController), "");
  EXPECT_EQ(DescribePeer(np, np.ingress[0], 1), "pods control-plane=controller-manager in namespace ctl");
  EXPECT_EQ(DescribePeer(np, np.ingress[0], 2), "every pod in every namespace");
}

// The task's "Namespace labels come from the Namespace objects in the input.
// Without them, assume only kubernetes.io/metadata.name" (which the API server
// sets on every namespace).
TEST(NetpolPeers, NamespaceLabelsComeFromTheInput) {
  NetworkPolicy np = Policy(R"("ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"obs"}}}]}])");
  // Without Namespace objects no namespace carries team=obs.
  EXPECT_EQ(Excess(np, 0, 0, kMonitoring), "");
  std::vector<NamespaceInfo> known = {
      {"monitoring", {{"kubernetes.io/metadata.name", "monitoring"}, {"team", "obs"}}},
      {"logging", {{"kubernetes.io/metadata.name", "logging"}, {"team", "obs"}}},
      {"default", {{"kubernetes.io/metadata.name", "default"}}}};
  EXPECT_EQ(Excess(np, 0, 0, kMonitoring, known), "namespace logging (namespaceSelector team=obs)");
  known.erase(known.begin() + 1);
  EXPECT_EQ(Excess(np, 0, 0, kMonitoring, known), "");
  // NotIn selects every namespace it does not name, known or not.
  NetworkPolicy notin = Policy(R"("ingress":[{"from":[{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["default"]}]}}]}])");
  EXPECT_EQ(Excess(notin, 0, 0, kMonitoring, known),
            "any other namespace (namespaceSelector kubernetes.io/metadata.name notin (default))");
}

// ref, IPBlock: "cidr is a string representing the IPBlock", "except is a
// slice of CIDRs that should not be included within an IPBlock". A block
// passes the audience when its cidr lies within an audience CIDR; except
// narrows what it admits but never makes a broader block acceptable.
TEST(NetpolPeers, IpBlocks) {
  NetworkPolicy np = Policy(R"("ingress":[{"from":[{"ipBlock":{"cidr":"10.0.4.0/24"}},
      {"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}},{"ipBlock":{"cidr":"0.0.0.0/0"}},
      {"ipBlock":{"cidr":"fd00::/64"}}]}])");
  EXPECT_EQ(Excess(np, 0, 0, kMonitoring), "");
  EXPECT_EQ(Excess(np, 0, 1, kMonitoring), "addresses in 10.0.0.0/8 (except 10.1.0.0/16)");
  EXPECT_EQ(Excess(np, 0, 2, kMonitoring), "addresses in 0.0.0.0/0");
  EXPECT_EQ(Excess(np, 0, 3, kMonitoring), "addresses in fd00::/64");
  EXPECT_EQ(Excess(np, 0, 0, kController), "addresses in 10.0.4.0/24") << "no address is the controller";
}

TEST(NetpolCidr, ParsesAndContains) {
  for (const char* bad : {"10.0.0.0", "10.0.0/8", "10.0.0.256/8", "10.0.0.0/33", "1::2::3/64", "fd00::/129", "x/1", "10.0.0.0/"}) {
    EXPECT_FALSE(Cidr::Parse(bad).has_value()) << bad;
  }
  std::optional<Cidr> a = Cidr::Parse("10.0.0.0/16"), b = Cidr::Parse("10.0.255.0/24"), c = Cidr::Parse("10.1.0.0/24");
  ASSERT_TRUE(a && b && c);
  EXPECT_TRUE(a->Contains(*b));
  EXPECT_FALSE(a->Contains(*c));
  EXPECT_FALSE(b->Contains(*a));
  std::optional<Cidr> v6 = Cidr::Parse("fd00::/8"), v6b = Cidr::Parse("fdff:1:2::3/64"), any = Cidr::Parse("::/0");
  ASSERT_TRUE(v6 && v6b && any);
  EXPECT_TRUE(v6->Contains(*v6b));
  EXPECT_TRUE(any->Contains(*v6));
  EXPECT_FALSE(any->Contains(*a)) << "families never contain each other";
}

// What Go's netip.ParsePrefix accepts, less IPv4-mapped IPv6: the grammar of
// the CEL cidr() library the backstop uses (k8s.io/apiserver
// pkg/cel/library/cidr.go parseCIDR) and, with StrictIPCIDRValidation (beta,
// on by default since 1.36), of the API server's ipBlock validation. Each
// verdict below was printed by Go 1.26's netip on this machine.
TEST(NetpolCidr, GrammarIsGoNetipParsePrefix) {
  struct Row {
    bool ok;
    const char* text;
  };
  for (const Row& r : std::initializer_list<Row>{
      {true, "10.0.0.0/8"},
      {false, "010.0.0.0/8"},
      {false, "10.0.0.0/08"},
      {true, "10.0.0.0/0"},
      {true, "10.0.0.1/16"},
      {false, "10.0.0.0/+8"},
      {false, "10.00.0.0/8"},
      {false, "1.2.3/8"},
      {false, "1.2.3.4.5/8"},
      {false, "1.2.3.4/33"},
      {true, "::/0"},
      {false, "::/00"},
      {true, "FD00::/8"},
      {false, "fd00::1:2:3:4:5:6:7/64"},
      {true, "1:2:3:4:5:6:7:8/64"},
      {true, "1:2:3:4:5:6:7::/64"},
      {false, "1:2:3:4:5:6:7:8::/64"},
      {true, "::1.2.3.4/128"},
      {false, "::ffff:1.2.3.4/128"},
      {false, "::ffff:102:304/128"},
      {false, "0:0:0:0:0:ffff:0:0/96"},
      {true, "::fffe:1.2.3.4/128"},
      {true, "1:2:3:4:5:6:1.2.3.4/128"},
      {false, "1:2:3:4:5:1.2.3.4/128"},
      {false, "1:2:3:4:5:6:7:1.2.3.4/128"},
      {true, "1::1.2.3.4/128"},
      {false, "1::01.2.3.4/128"},
      {false, "::1.2.3.4:5/128"},
      {false, "fe80::1%eth0/64"},
      {false, "12345::/16"},
      {true, "00fd::/8"},
      {false, "1:::2/64"},
      {false, ":1::/64"},
      {false, "1:/64"},
      {false, "::1:/64"},
      {false, "10.0.0.0/8/8"},
      {false, "1.2.3.4:5/8"},
      {true, "::1:2:3:4:5:6:7/64"},
      {false, "::1:2:3:4:5:6:7:8/64"},
      {false, "1:2::3:4:5:6:7:8/64"},
      {false, "::1.2.3/128"},
      {false, " 10.0.0.0/8"},
      {false, "10.0.0.0/8 "},
       }) {
    EXPECT_EQ(Cidr::Parse(r.text).has_value(), r.ok) << r.text;
  }
  std::optional<Cidr> tail = Cidr::Parse("::1.2.3.0/120"), host = Cidr::Parse("::102:304/128");
  ASSERT_TRUE(tail && host);
  EXPECT_TRUE(tail->Contains(*host)) << "a dotted IPv4 tail is the last 32 bits";
  std::optional<Cidr> mid = Cidr::Parse("1:2:3:4:5:6:7::/112"), in = Cidr::Parse("1:2:3:4:5:6:7:ffff/128");
  ASSERT_TRUE(mid && in);
  EXPECT_TRUE(mid->Contains(*in));
  EXPECT_FALSE(Cidr::Parse("1:2:3:4:5:6:8::/112")->Contains(*in));
}

// ref, NetworkPolicyPort: "protocol ... If not specified, this field defaults
// to TCP"; "port ... This can either be a numerical or named port on a pod.
// If this field is not provided, this matches all port names and numbers";
// "endPort indicates that the range of ports from port to endPort if set,
// inclusive, should be allowed". ref, ingress.ports: "If this field is empty
// or missing, this rule matches all ports".
TEST(NetpolPorts, NumbersNamesRangesProtocols) {
  auto ports = [](const std::string& json) { return Policy(R"("ingress":[{"ports":)" + json + "}]").ingress[0].ports; };
  EXPECT_TRUE(PortsAdmit({}, 8443, kPorts));
  EXPECT_EQ(DescribePorts({}, 8443, kPorts), "every port");
  EXPECT_TRUE(PortsAdmit(ports(R"([{"port":8443}])"), 8443, kPorts));
  EXPECT_FALSE(PortsAdmit(ports(R"([{"port":8444}])"), 8443, kPorts));
  EXPECT_TRUE(PortsAdmit(ports(R"([{"port":"api"}])"), 8443, kPorts));
  EXPECT_EQ(DescribePorts(ports(R"([{"port":"api"}])"), 8443, kPorts), "port api");
  EXPECT_FALSE(PortsAdmit(ports(R"([{"port":"public"}])"), 8443, kPorts));
  EXPECT_FALSE(PortsAdmit(ports(R"([{"port":"api"}])"), 8443, {})) << "a name the pod lacks matches nothing";
  EXPECT_FALSE(PortsAdmit(ports(R"([{"port":8443,"protocol":"UDP"}])"), 8443, kPorts));
  EXPECT_TRUE(PortsAdmit(ports(R"([{"protocol":"TCP"}])"), 8443, kPorts));
  EXPECT_EQ(DescribePorts(ports(R"([{"protocol":"TCP"}])"), 8443, kPorts), "every TCP port");
  EXPECT_TRUE(PortsAdmit(ports(R"([{"port":8000,"endPort":8443}])"), 8443, kPorts));
  EXPECT_EQ(DescribePorts(ports(R"([{"port":8000,"endPort":8443}])"), 8443, kPorts), "ports 8000-8443");
  EXPECT_FALSE(PortsAdmit(ports(R"([{"port":8000,"endPort":8442}])"), 8443, kPorts));
}

// concepts: "Network policies do not conflict; they are additive. If any
// policy or policies apply to a given pod for a given direction, the
// connections allowed in that direction from that pod is the union of what
// the applicable policies allow."
TEST(NetpolReach, TheUnionOfEverySelectingPolicy) {
  NetworkContext net;
  net.policies.push_back(Policy(R"("ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ctl"}},"podSelector":{"matchLabels":{"control-plane":"controller-manager"}}}],"ports":[{"port":8443}]}])"));
  net.policies.push_back(Policy(R"("ingress":[{"from":[{"namespaceSelector":{}}],"ports":[{"port":"api"}]}])"));
  net.policies.back().name = "allow-scrape";
  net.policies.push_back(Policy(R"("ingress":[{}])", R"({"matchLabels":{"app":"web"}})"));  // selects others
  PodTarget pod{"sei", kSeiPod, kPorts};
  Listener proxy{8443, "api", kController};
  std::vector<ReachRow> rows = WhoReaches(net, pod, proxy);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].beyond);
  EXPECT_TRUE(rows[1].beyond);
  EXPECT_EQ(rows[1].by, "sei/allow-scrape ingress[0] (port api)");
  EXPECT_EQ(rows[1].from, "every pod in every namespace");
  // Unisolated: everyone.
  PodTarget elsewhere{"other", kSeiPod, kPorts};
  rows = WhoReaches(net, elsewhere, proxy);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].from, "every pod in the cluster");
  EXPECT_TRUE(net.Describes("sei"));
  EXPECT_FALSE(net.Describes("other"));
}

// A podSelector "can select SeiNode pods" when it tests the node label (not
// by DoesNotExist) or is empty.
TEST(NetpolSelector, MentionsTheNodeLabel) {
  EXPECT_TRUE(Selector(R"({"matchLabels":{"sei.io/node":"a"}})").Mentions("sei.io/node"));
  EXPECT_TRUE(Selector(R"({"matchExpressions":[{"key":"sei.io/node","operator":"NotIn","values":["a"]}]})").Mentions("sei.io/node"));
  EXPECT_FALSE(Selector(R"({"matchExpressions":[{"key":"sei.io/node","operator":"DoesNotExist"}]})").Mentions("sei.io/node"));
  EXPECT_FALSE(Selector(R"({"matchLabels":{"app":"a"}})").Mentions("sei.io/node"));
}

}  // namespace
}  // namespace seiguard
