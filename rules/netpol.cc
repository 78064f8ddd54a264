#include "rules/netpol.h"

#include <algorithm>

namespace seiguard {
namespace {

constexpr std::string_view kNameLabel = "kubernetes.io/metadata.name";

bool Has(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Join(const std::vector<std::string>& list, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : list) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

bool Requires(const SelectorRequirement& r, const Labels& labels) {
  const std::string* v = FindLabel(labels, r.key);
  switch (r.op) {
    case SelectorRequirement::Op::kIn: return v != nullptr && Has(r.values, *v);
    case SelectorRequirement::Op::kNotIn: return v == nullptr || !Has(r.values, *v);
    case SelectorRequirement::Op::kExists: return v != nullptr;
    case SelectorRequirement::Op::kDoesNotExist: return v == nullptr;
  }
  return false;
}

// The namespaces a namespaceSelector selects: the known ones, then the ones
// it names by the name label, then (as "") any namespace not among those,
// which carries only its name label.
std::vector<std::string> SelectedNamespaces(const LabelSelector& selector,
                                            const std::vector<NamespaceInfo>& known) {
  std::vector<std::string> out, names;
  for (const NamespaceInfo& ns : known) {
    names.push_back(ns.name);
    if (selector.Matches(ns.labels)) out.push_back(ns.name);
  }
  auto consider = [&](const std::string& name) {
    if (Has(names, name)) return;
    names.push_back(name);
    if (selector.Matches({{std::string(kNameLabel), name}})) out.push_back(name);
  };
  for (const auto& [k, v] : selector.match_labels) {
    if (k == kNameLabel) consider(v);
  }
  for (const SelectorRequirement& r : selector.expressions) {
    if (r.key != kNameLabel) continue;
    for (const std::string& v : r.values) consider(v);
  }
  // A name none of those has: "" is not a namespace name, so it stands for
  // every other namespace without matching any name listed.
  if (selector.Matches({{std::string(kNameLabel), ""}})) out.push_back("");
  return out;
}

std::string Plural(size_t n, const char* one, const char* many) { return n == 1 ? one : many; }

// "every pod" or "pods<sep><selector>" for a peer's podSelector.
std::string PodsOf(const NetworkPolicyPeer& peer, const char* sep) {
  return !peer.pod_selector || peer.pod_selector->Empty() ? "every pod" : "pods" + std::string(sep) + peer.pod_selector->Describe();
}

// "namespace <the policy's>", for a peer without namespaceSelector.
std::string OwnNamespace(const NetworkPolicy& policy) {
  return "namespace " + (policy.namespace_.empty() ? std::string("(the policy's own)") : policy.namespace_);
}

}  // namespace

const std::string* FindLabel(const Labels& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool LabelSelector::Matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    const std::string* have = FindLabel(labels, k);
    if (have == nullptr || *have != v) return false;
  }
  for (const SelectorRequirement& r : expressions) {
    if (!Requires(r, labels)) return false;
  }
  return true;
}

bool LabelSelector::Implies(const Labels& required) const {
  for (const auto& label : required) {
    const std::string& value = label.second;
    const std::string* have = FindLabel(match_labels, label.first);
    bool pinned = have != nullptr && *have == value;
    for (const SelectorRequirement& r : expressions) {
      pinned = pinned || (r.key == label.first && r.op == SelectorRequirement::Op::kIn && !r.values.empty() &&
                          std::all_of(r.values.begin(), r.values.end(), [&](const std::string& x) { return x == value; }));
    }
    if (!pinned) return false;
  }
  return true;
}

bool LabelSelector::Mentions(std::string_view key) const {
  if (FindLabel(match_labels, key) != nullptr) return true;
  for (const SelectorRequirement& r : expressions) {
    if (r.key == key && r.op != SelectorRequirement::Op::kDoesNotExist) return true;
  }
  return false;
}

std::string LabelSelector::Describe() const {
  if (Empty()) return "{}";
  std::vector<std::string> parts;
  for (const auto& [k, v] : match_labels) parts.push_back(k + "=" + v);
  for (const SelectorRequirement& r : expressions) {
    switch (r.op) {
      case SelectorRequirement::Op::kIn: parts.push_back(r.key + " in (" + Join(r.values) + ")"); break;
      case SelectorRequirement::Op::kNotIn: parts.push_back(r.key + " notin (" + Join(r.values) + ")"); break;
      case SelectorRequirement::Op::kExists: parts.push_back(r.key); break;
      case SelectorRequirement::Op::kDoesNotExist: parts.push_back("!" + r.key); break;
    }
  }
  return Join(parts);
}

namespace {

// One to three decimal digits without a leading zero ("0" itself is fine), as
// Go's netip writes octets and prefix lengths; -1 otherwise.
int Decimal(std::string_view s) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return -1;
  int value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Four dotted decimal octets.
bool ParseIpv4(std::string_view s, uint8_t* out) {
  for (int field = 0; field < 4; ++field) {
    size_t end = field < 3 ? s.find('.') : s.size();
    if (end == std::string_view::npos) return false;
    int octet = Decimal(s.substr(0, end));
    if (octet < 0 || octet > 255) return false;
    out[field] = static_cast<uint8_t>(octet);
    s.remove_prefix(field < 3 ? end + 1 : end);
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Colon-separated groups of one to four hex digits with at most one "::"
// standing for at least one zero group; the last 32 bits may be written as
// dotted IPv4. No zone.
bool ParseIpv6(std::string_view s, uint8_t* out) {
  int filled = 0, ellipsis = -1;
  if (s.substr(0, 2) == "::") {
    ellipsis = 0;
    s.remove_prefix(2);
  }
  while (!s.empty() && filled < 16) {
    size_t n = 0;
    unsigned value = 0;
    for (int d; n < s.size() && (d = HexDigit(s[n])) >= 0; ++n) {
      if (n == 4) return false;  // five hex digits
      value = value * 16 + static_cast<unsigned>(d);
    }
    if (n == 0) return false;
    if (n < s.size() && s[n] == '.') {  // trailing dotted IPv4
      if ((ellipsis < 0 && filled != 12) || filled > 12 || !ParseIpv4(s, out + filled)) return false;
      filled += 4;
      s = {};
      break;
    }
    out[filled++] = static_cast<uint8_t>(value >> 8);
    out[filled++] = static_cast<uint8_t>(value & 0xff);
    s.remove_prefix(n);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return false;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = filled;
      s.remove_prefix(1);
    }
  }
  if (!s.empty()) return false;
  if (filled < 16) {
    if (ellipsis < 0) return false;
    int gap = 16 - filled;
    for (int j = filled - 1; j >= ellipsis; --j) out[j + gap] = out[j];
    std::fill(out + ellipsis, out + ellipsis + gap, uint8_t{0});
  } else if (ellipsis >= 0) {
    return false;
  }
  return true;
}

}  // namespace

// The grammar of Go's netip.ParsePrefix (what the CEL cidr() library and,
// with StrictIPCIDRValidation, the API server's ipBlock validation accept),
// less IPv4-mapped IPv6 addresses, which cidr() refuses.
std::optional<Cidr> Cidr::Parse(std::string_view text) {
  size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view ip = text.substr(0, slash), bits = text.substr(slash + 1);
  Cidr out;
  out.bits = Decimal(bits);
  if (out.bits < 0) return std::nullopt;
  size_t family = ip.find_first_of(".:");
  if (family == std::string_view::npos) return std::nullopt;
  if (ip[family] == '.') {
    out.address.resize(4);
    if (!ParseIpv4(ip, out.address.data()) || out.bits > 32) return std::nullopt;
    return out;
  }
  out.address.resize(16);
  if (!ParseIpv6(ip, out.address.data()) || out.bits > 128) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, out.address.begin())) return std::nullopt;
  return out;
}

bool Cidr::Contains(const Cidr& other) const {
  if (address.size() != other.address.size() || other.bits < bits) return false;
  for (int b = 0; b < bits; ++b) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (b % 8));
    if ((address[b / 8] & mask) != (other.address[b / 8] & mask)) return false;
  }
  return true;
}

bool NetworkPolicy::Isolates(std::string_view pod_namespace, const Labels& pod_labels) const {
  return ingress_type && namespace_ == pod_namespace && pod_selector.Matches(pod_labels);
}

namespace {

// The first port entry that admits `port`, or null; `any` when the list is
// empty (every port).
const NetworkPolicyPort* AdmittingPort(const std::vector<NetworkPolicyPort>& ports, int64_t port,
                                       const std::vector<NamedPort>& pod_ports) {
  for (const NetworkPolicyPort& p : ports) {
    if (p.protocol != "TCP") continue;
    if (!p.has_port) return &p;
    if (p.named) {
      for (const NamedPort& q : pod_ports) {
        if (q.name == p.name && q.number == port && q.protocol == "TCP") return &p;
      }
      continue;
    }
    if (p.end_port ? p.number <= port && port <= *p.end_port : p.number == port) return &p;
  }
  return nullptr;
}

}  // namespace

bool PortsAdmit(const std::vector<NetworkPolicyPort>& ports, int64_t port, const std::vector<NamedPort>& pod_ports) {
  return ports.empty() || AdmittingPort(ports, port, pod_ports) != nullptr;
}

std::string DescribePorts(const std::vector<NetworkPolicyPort>& ports, int64_t port,
                          const std::vector<NamedPort>& pod_ports) {
  if (ports.empty()) return "every port";
  const NetworkPolicyPort* p = AdmittingPort(ports, port, pod_ports);
  if (p == nullptr) return "";
  if (!p->has_port) return "every TCP port";
  if (p->named) return "port " + p->name;
  if (p->end_port) return "ports " + std::to_string(p->number) + "-" + std::to_string(*p->end_port);
  return "port " + std::to_string(p->number);
}

std::string Audience::Describe() const {
  // Peers with the same labels are described together, in order.
  std::vector<std::pair<const Labels*, std::vector<std::string>>> groups;
  for (const AudiencePeer& p : peers) {
    std::string where = p.namespace_;  // "": the SeiNode's, described last
    auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return *g.first == p.pod_labels; });
    if (same == groups.end()) {
      groups.push_back({&p.pod_labels, {where}});
    } else {
      same->second.push_back(where);
    }
  }
  std::vector<std::string> parts;
  for (const auto& [labels, where] : groups) {
    std::string pods = labels->empty() ? "pods" : "pods with " + LabelSelector{*labels, {}}.Describe();
    std::vector<std::string> named;
    for (const std::string& w : where) {
      if (!w.empty()) named.push_back(w);
    }
    bool own = named.size() < where.size();
    std::string in = named.empty() ? "" : Plural(named.size(), "namespace ", "namespaces ") + Join(named);
    if (own) in += named.empty() ? "the SeiNode's namespace" : " and the SeiNode's";
    parts.push_back(pods + " in " + in);
  }
  if (!cidrs.empty()) parts.push_back("addresses in " + Join(cidrs));
  if (parts.empty()) return "nobody";
  std::string last = parts.back();
  parts.pop_back();
  return parts.empty() ? last : Join(parts) + " and " + last;
}

std::vector<const Labels*> Audience::In(std::string_view ns, std::string_view own) const {
  std::vector<const Labels*> out;
  for (const AudiencePeer& p : peers) {
    if (p.namespace_ == ns || (p.namespace_.empty() && ns == own)) out.push_back(&p.pod_labels);
  }
  return out;
}

std::string DescribePeer(const NetworkPolicy& policy, const IngressRule& rule, size_t peer_index) {
  if (rule.from.empty()) return "every source";
  const NetworkPolicyPeer& peer = rule.from[peer_index];
  if (peer.ip_block) {
    std::string what = "addresses in " + peer.ip_block->cidr;
    if (!peer.ip_block->except.empty()) what += " except " + Join(peer.ip_block->except);
    return what;
  }
  std::string pods = PodsOf(peer, " ");
  if (!peer.namespace_selector) return pods + " in " + OwnNamespace(policy);
  const LabelSelector& ns = *peer.namespace_selector;
  if (ns.Empty()) return pods + " in every namespace";
  // By name alone: "in namespace monitoring".
  if (ns.match_labels.size() == 1 && ns.expressions.empty() && ns.match_labels[0].first == kNameLabel) {
    return pods + " in namespace " + ns.match_labels[0].second;
  }
  if (ns.match_labels.empty() && ns.expressions.size() == 1 && ns.expressions[0].key == kNameLabel &&
      ns.expressions[0].op == SelectorRequirement::Op::kIn) {
    return pods + " in namespaces " + Join(ns.expressions[0].values);
  }
  return pods + " in namespaces matching " + ns.Describe();
}

std::string PeerExcess(const NetworkPolicy& policy, const IngressRule& rule, size_t peer_index,
                       const Audience& audience, const std::vector<NamespaceInfo>& namespaces) {
  if (rule.from.empty()) return "every source (the rule has no from)";
  const NetworkPolicyPeer& peer = rule.from[peer_index];
  if (peer.ip_block) {
    std::string what = "addresses in " + peer.ip_block->cidr;
    if (!peer.ip_block->except.empty()) what += " (except " + Join(peer.ip_block->except) + ")";
    // A block passes when its cidr lies within one audience CIDR; `except`
    // narrows what it admits but never makes a broader block acceptable.
    std::optional<Cidr> block = Cidr::Parse(peer.ip_block->cidr);
    for (const std::string& allowed : audience.cidrs) {
      std::optional<Cidr> a = Cidr::Parse(allowed);
      if (block && a && a->Contains(*block)) return "";
    }
    return what;
  }
  // Every pod the peer selects in namespace `ns` is one the audience holds.
  auto covered = [&](const std::string& ns) {
    for (const Labels* labels : audience.In(ns, policy.namespace_)) {
      if (labels->empty() || (peer.pod_selector && peer.pod_selector->Implies(*labels))) return true;
    }
    return false;
  };
  // The pods of namespaces the audience has a place in that it does not hold.
  auto pods_beyond = [&](const std::vector<std::string>& names) -> std::string {
    std::vector<std::string> bare, allowed;
    for (const std::string& n : names) {
      if (covered(n)) continue;
      bare.push_back(n.empty() ? std::string("(the policy's own)") : n);
      for (const Labels* labels : audience.In(n, policy.namespace_)) {
        std::string d = LabelSelector{*labels, {}}.Describe();
        if (std::find(allowed.begin(), allowed.end(), d) == allowed.end()) allowed.push_back(d);
      }
    }
    if (bare.empty()) return "";
    return PodsOf(peer, " matching ") + " in " + Plural(bare.size(), "namespace ", "namespaces ") + Join(bare) +
           ", not only " + Join(allowed, " or ");
  };
  if (!peer.namespace_selector) {
    if (audience.In(policy.namespace_, policy.namespace_).empty()) {
      return PodsOf(peer, " matching ") + " in " + OwnNamespace(policy);
    }
    return pods_beyond({policy.namespace_});
  }
  const LabelSelector& ns = *peer.namespace_selector;
  if (ns.Empty()) return "every namespace";
  std::vector<std::string> beyond, within;
  bool others = false;
  for (const std::string& name : SelectedNamespaces(ns, namespaces)) {
    if (name.empty()) {
      others = true;
    } else {
      (audience.In(name, policy.namespace_).empty() ? beyond : within).push_back(name);
    }
  }
  if (others || !beyond.empty()) {
    std::string what = beyond.empty() ? "" : Plural(beyond.size(), "namespace ", "namespaces ") + Join(beyond);
    if (others) what += (what.empty() ? "" : " and ") + std::string("any other namespace");
    return what + " (namespaceSelector " + ns.Describe() + ")";
  }
  return pods_beyond(within);
}

bool NetworkContext::Describes(std::string_view ns) const {
  for (const NamespaceInfo& n : namespaces) {
    if (n.name == ns) return true;
  }
  for (const NetworkPolicy& p : policies) {
    if (p.namespace_ == ns) return true;
  }
  return false;
}

}  // namespace seiguard
