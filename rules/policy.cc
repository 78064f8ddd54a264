#include "rules/policy.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rules/image_list.h"

namespace seiguard {
namespace {

using nlohmann::json;

constexpr std::string_view kApiVersion = "seiguard.sei.io/v1alpha1";
constexpr std::string_view kKind = "Policy";

std::string TypeName(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  return std::string("a ") + v.type_name();
}

// Collects every problem so the user sees them all at once.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  void Error(const std::string& key, const std::string& what) {
    errors_.push_back(source_ + ": " + (key.empty() ? "" : key + ": ") + what);
  }

  // Checks that `obj` is an object whose keys are all in `known`.
  bool ExpectObject(const json& obj, const std::string& key,
                    std::initializer_list<std::string_view> known) {
    if (!obj.is_object()) {
      Error(key, "must be a mapping, got " + TypeName(obj));
      return false;
    }
    for (const auto& [k, unused] : obj.items()) {
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        std::string full = key.empty() ? k : key + "." + k;
        std::string list;
        for (std::string_view n : known) list += (list.empty() ? "" : ", ") + std::string(n);
        Error("", "unknown key \"" + full + "\" (known here: " + list + ")");
      }
    }
    return true;
  }

  void String(const json& obj, const char* name, const std::string& prefix, std::string* out) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return;
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (!it->is_string()) return Error(key, "must be a string, got " + TypeName(*it));
    std::string v = it->get<std::string>();
    if (v.empty()) return Error(key, "must not be empty");
    *out = v;
  }

  void Port(const json& obj, const char* name, const std::string& prefix, int64_t* out) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return;
    std::string key = prefix.empty() ? name : prefix + "." + name;
    // Only a true integer: no floats, no strings, no silent truncation.
    if (!it->is_number_integer()) {
      return Error(key, "must be an integer port number (1-65535), got " + TypeName(*it));
    }
    bool in_range = it->is_number_unsigned() ? it->get<uint64_t>() <= 65535
                                             : it->get<int64_t>() >= 1 && it->get<int64_t>() <= 65535;
    if (!in_range || (it->is_number_unsigned() && it->get<uint64_t>() == 0)) {
      return Error(key, "must be a port number between 1 and 65535, got " + it->dump());
    }
    *out = it->is_number_unsigned() ? static_cast<int64_t>(it->get<uint64_t>()) : it->get<int64_t>();
  }

  void StringList(const json& obj, const char* name, std::vector<std::string>* out,
                  const std::string& prefix = "") {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return;
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (!it->is_array()) return Error(key, "must be a list of strings, got " + TypeName(*it));
    out->clear();
    for (size_t i = 0; i < it->size(); ++i) {
      const json& v = (*it)[i];
      if (!v.is_string() || v.get<std::string>().empty()) {
        Error(key + "[" + std::to_string(i) + "]", "must be a non-empty string");
        continue;
      }
      out->push_back(v.get<std::string>());
    }
  }

  // A mapping of label keys to values.
  void LabelMap(const json& obj, const char* name, const std::string& prefix, Labels* out) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return;
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (!it->is_object()) return Error(key, "must be a mapping of label keys to values, got " + TypeName(*it));
    out->clear();
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) {
        Error(key + "." + k, "must be a string, got " + TypeName(v));
        continue;
      }
      out->emplace_back(k, v.get<std::string>());
    }
  }

  Status Result() const {
    if (errors_.empty()) return Status();
    std::string all;
    for (const std::string& e : errors_) all += (all.empty() ? "" : "\n") + e;
    return Status::Error(all);
  }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// DNS-1123 subdomain prefix (optional) + "/" + name of at most 63 characters:
// a label key the API server accepts.
bool IsQualifiedLabelKey(std::string_view key) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  std::string_view name = key;
  size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 253) return false;
    for (char c : prefix) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    }
    if (!alnum(prefix.front()) || !alnum(prefix.back())) return false;
  }
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!(alnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// Each key of `labels` is one the API server accepts; `key` names the knob.
void CheckLabelKeys(Reader& r, const Labels& labels, const std::string& key) {
  for (const auto& [label, unused] : labels) {
    if (!IsQualifiedLabelKey(label)) r.Error(key, "\"" + label + "\" is not a valid label key");
  }
}

std::string RuleNames() {
  std::string list;
  for (const RuleInfo& info : Rules()) list += (list.empty() ? "" : ", ") + std::string(info.name);
  return list;
}

}  // namespace

std::array<Action, kRuleCount> Policy::DefaultActions() {
  std::array<Action, kRuleCount> a{};
  for (const RuleInfo& r : Rules()) a[r.id.index()] = r.default_action;
  return a;
}

std::array<bool, kRuleCount> Policy::AllRatchet() {
  std::array<bool, kRuleCount> a{};
  a.fill(true);
  return a;
}

bool Policy::Judges(Kind kind) const {
  return kind != Kind::kOther && std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

bool Policy::Exempt(std::string_view ns) const {
  return std::find(exempt_namespaces.begin(), exempt_namespaces.end(), ns) !=
         exempt_namespaces.end();
}

Audience Policy::ProxyAudience() const {
  Audience a{{{controller_namespace, controller_pod_labels}}, {}};
  a.peers.insert(a.peers.end(), proxy_clients.begin(), proxy_clients.end());
  return a;
}

Audience Policy::PublicAudience() const {
  Audience a{{}, node_cidrs};
  for (const std::string& ns : monitoring_namespaces) a.peers.push_back({ns, {}});
  return a;
}

bool Policy::IsBootstrap(const ObjectMeta& meta) const {
  if (bootstrap_labels.empty()) return false;
  for (const auto& [key, value] : bootstrap_labels) {
    const std::string_view* have = meta.Label(key);
    if (have == nullptr || *have != value) return false;
  }
  return true;
}

bool Policy::ServesPublicListener(std::string_view image) const {
  return std::any_of(public_listener_images.begin(), public_listener_images.end(),
                     [&](const std::string& entry) { return entry == "*" || ImageListed(entry, image); });
}

bool Policy::AssumesPublicListener(std::string_view image) const {
  bool wildcard = false;
  for (const std::string& entry : public_listener_images) {
    if (entry == "*") {
      wildcard = true;
    } else if (ImageListed(entry, image)) {
      return false;
    }
  }
  return wildcard;
}

bool Policy::IsWorkloadController(std::string_view user) const {
  return !user.empty() && std::find(workload_controllers.begin(), workload_controllers.end(), user) !=
                              workload_controllers.end();
}

StatusOr<Policy> PolicyFromJson(const json& doc, std::string_view source) {
  Policy p;
  Reader r(source);
  if (doc.is_null()) return p;  // an empty file: all defaults
  if (!r.ExpectObject(doc, "",
                      {"apiVersion", "kind", "proxy", "sidecar", "nodeLabel", "network", "scope", "rules",
                       "ratchet", "workloadControllers", "remediate", "exemptNamespaces"})) {
    return r.Result();
  }
  if (auto it = doc.find("apiVersion"); it != doc.end() && *it != kApiVersion) {
    r.Error("apiVersion", "must be " + std::string(kApiVersion) + ", got " + it->dump());
  }
  if (auto it = doc.find("kind"); it != doc.end() && *it != kKind) {
    r.Error("kind", "must be " + std::string(kKind) + ", got " + it->dump());
  }
  if (auto it = doc.find("proxy"); it != doc.end() && !it->is_null()) {
    if (r.ExpectObject(*it, "proxy", {"containerName", "imageMatch", "port", "portName"})) {
      r.String(*it, "containerName", "proxy", &p.proxy_container_name);
      r.String(*it, "imageMatch", "proxy", &p.proxy_image_match);
      r.Port(*it, "port", "proxy", &p.proxy_port);
      r.String(*it, "portName", "proxy", &p.proxy_port_name);
    }
  }
  if (auto it = doc.find("sidecar"); it != doc.end() && !it->is_null()) {
    if (r.ExpectObject(*it, "sidecar",
                       {"containerName", "publicPort", "publicPortName", "publicPortEnv",
                        "publicListenerImages"})) {
      r.String(*it, "containerName", "sidecar", &p.sidecar_name);
      r.Port(*it, "publicPort", "sidecar", &p.public_port);
      r.String(*it, "publicPortName", "sidecar", &p.public_port_name);
      r.String(*it, "publicPortEnv", "sidecar", &p.public_port_env);
      r.StringList(*it, "publicListenerImages", &p.public_listener_images, "sidecar");
      for (size_t i = 0; i < p.public_listener_images.size(); ++i) {
        std::string_view entry = p.public_listener_images[i];
        if (!ImageEntryValid(entry)) {
          r.Error("sidecar.publicListenerImages[" + std::to_string(i) + "]",
                  "\"" + std::string(entry) + "\" is not >=VERSION (such as >=v0.0.71)");
        }
      }
      if (p.public_port_name.size() > 15) {
        r.Error("sidecar.publicPortName", "a port name has at most 15 characters");
      }
    }
  }
  r.String(doc, "nodeLabel", "", &p.node_label);
  if (!IsQualifiedLabelKey(p.node_label)) {
    r.Error("nodeLabel", "\"" + p.node_label + "\" is not a valid label key");
  }
  if (p.proxy_port == p.public_port) {
    r.Error("sidecar.publicPort", "must differ from proxy.port");
  }
  if (auto it = doc.find("network"); it != doc.end() && !it->is_null()) {
    if (r.ExpectObject(*it, "network", {"controllerNamespace", "controllerPodLabels", "proxyClients",
                                        "monitoringNamespaces", "nodeCIDRs"})) {
      r.String(*it, "controllerNamespace", "network", &p.controller_namespace);
      r.LabelMap(*it, "controllerPodLabels", "network", &p.controller_pod_labels);
      if (auto c = it->find("proxyClients"); c != it->end() && !c->is_null()) {
        if (!c->is_array()) {
          r.Error("network.proxyClients", "must be a list of {namespace, podLabels}, got " + TypeName(*c));
        } else {
          p.proxy_clients.clear();
          for (size_t i = 0; i < c->size(); ++i) {
            const std::string key = "network.proxyClients[" + std::to_string(i) + "]";
            if (!r.ExpectObject((*c)[i], key, {"namespace", "podLabels"})) continue;
            AudiencePeer peer;
            r.String((*c)[i], "namespace", key, &peer.namespace_);
            r.LabelMap((*c)[i], "podLabels", key, &peer.pod_labels);
            CheckLabelKeys(r, peer.pod_labels, key + ".podLabels");
            if (peer.namespace_.empty() && peer.pod_labels.empty()) {
              r.Error(key, "names neither a namespace nor podLabels: that would be every pod of the SeiNode's namespace");
            }
            p.proxy_clients.push_back(std::move(peer));
          }
        }
      }
      r.StringList(*it, "monitoringNamespaces", &p.monitoring_namespaces, "network");
      r.StringList(*it, "nodeCIDRs", &p.node_cidrs, "network");
      CheckLabelKeys(r, p.controller_pod_labels, "network.controllerPodLabels");
      for (size_t i = 0; i < p.node_cidrs.size(); ++i) {
        if (!Cidr::Parse(p.node_cidrs[i])) {
          r.Error("network.nodeCIDRs[" + std::to_string(i) + "]",
                  "\"" + p.node_cidrs[i] + "\" is not a CIDR (such as 10.0.0.0/16 or fd00::/64)");
        }
      }
    }
  }
  if (auto it = doc.find("scope"); it != doc.end() && !it->is_null()) {
    if (r.ExpectObject(*it, "scope", {"ownerKind", "kinds", "bootstrapLabels"})) {
      r.String(*it, "ownerKind", "scope", &p.owner_kind);
      r.LabelMap(*it, "bootstrapLabels", "scope", &p.bootstrap_labels);
      CheckLabelKeys(r, p.bootstrap_labels, "scope.bootstrapLabels");
      if (auto k = it->find("kinds"); k != it->end() && !k->is_null()) {
        std::vector<std::string> names;
        r.StringList(*it, "kinds", &names);
        p.kinds.clear();
        for (const std::string& n : names) {
          Kind kind = Kind::kOther;
          for (Kind c : kJudgeableKinds) {
            if (KindName(c) == n) kind = c;
          }
          if (kind == Kind::kOther) {
            std::string known;
            for (Kind c : kJudgeableKinds) known += (known.empty() ? "" : ", ") + std::string(KindName(c));
            r.Error("scope.kinds", "unknown kind \"" + n + "\" (known: " + known + ")");
          } else {
            p.kinds.push_back(kind);
          }
        }
      }
    }
  }
  if (auto it = doc.find("rules"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) {
      r.Error("rules", "must be a mapping of rule name to action, got " + TypeName(*it));
    } else {
      for (const auto& [name, value] : it->items()) {
        std::optional<RuleId> id = RuleFromName(name);
        if (!id) {
          r.Error("", "unknown key \"rules." + name + "\" (known rules: " + RuleNames() + ")");
          continue;
        }
        std::optional<Action> action;
        if (value.is_string()) action = ActionFromName(value.get<std::string>());
        // An unquoted off is the boolean false in YAML 1.1, which is how a
        // policy file is read (as kubectl reads manifests): it means off.
        if (value.is_boolean() && !value.get<bool>()) action = Action::kOff;
        const RuleInfo& info = Rule(*id);
        if (!action.has_value()) {
          r.Error("rules." + name, std::string("must be one of deny, warn, off") +
                                       (info.can_mutate() ? ", mutate" : "") + ", got " +
                                       value.dump());
        } else if (*action == Action::kMutate && !info.can_mutate()) {
          std::string injecting;
          for (const RuleInfo& rule : Rules()) {
            if (rule.can_mutate()) injecting += (injecting.empty() ? "" : ", ") + std::string(rule.name);
          }
          r.Error("rules." + name, "cannot be mutate (only " + injecting + " inject)");
        } else {
          p.actions[id->index()] = *action;
        }
      }
    }
  }
  // ratchet: true | false (every rule), or a mapping of rule name to bool.
  if (auto it = doc.find("ratchet"); it != doc.end() && !it->is_null()) {
    if (it->is_boolean()) {
      p.ratchet.fill(it->get<bool>());
    } else if (!it->is_object()) {
      r.Error("ratchet", "must be true, false or a mapping of rule name to true/false, got " +
                             TypeName(*it));
    } else {
      for (const auto& [name, value] : it->items()) {
        std::optional<RuleId> id = RuleFromName(name);
        if (!id) {
          r.Error("", "unknown key \"ratchet." + name + "\" (known rules: " + RuleNames() + ")");
        } else if (!value.is_boolean()) {
          r.Error("ratchet." + name, "must be true or false, got " + value.dump());
        } else {
          p.ratchet[id->index()] = value.get<bool>();
        }
      }
    }
  }
  if (auto it = doc.find("remediate"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      r.Error("remediate", "must be true or false, got " + it->dump());
    } else {
      p.remediate = it->get<bool>();
    }
  }
  r.StringList(doc, "workloadControllers", &p.workload_controllers);
  r.StringList(doc, "exemptNamespaces", &p.exempt_namespaces);
  Status s = r.Result();
  if (!s.ok()) return s;
  return p;
}

namespace {

nlohmann::ordered_json LabelsJson(const Labels& labels) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

}  // namespace

nlohmann::ordered_json PolicyToJson(const Policy& p) {
  using ordered = nlohmann::ordered_json;
  ordered rules = ordered::object();
  ordered ratchet = ordered::object();
  for (const RuleInfo& info : Rules()) {
    rules[std::string(info.name)] = ActionName(p.action(info.id));
    ratchet[std::string(info.name)] = p.Ratchets(info.id);
  }
  ordered kinds = ordered::array();
  for (Kind k : p.kinds) kinds.push_back(KindName(k));
  ordered clients = ordered::array();
  for (const AudiencePeer& peer : p.proxy_clients) {
    ordered one = ordered::object();
    if (!peer.namespace_.empty()) one["namespace"] = peer.namespace_;
    one["podLabels"] = LabelsJson(peer.pod_labels);
    clients.push_back(one);
  }
  return ordered{
      {"apiVersion", kApiVersion},
      {"kind", kKind},
      {"proxy",
       {{"containerName", p.proxy_container_name},
        {"imageMatch", p.proxy_image_match},
        {"port", p.proxy_port},
        {"portName", p.proxy_port_name}}},
      {"sidecar",
       {{"containerName", p.sidecar_name},
        {"publicPort", p.public_port},
        {"publicPortName", p.public_port_name},
        {"publicPortEnv", p.public_port_env},
        {"publicListenerImages", p.public_listener_images}}},
      {"nodeLabel", p.node_label},
      {"network",
       {{"controllerNamespace", p.controller_namespace},
        {"controllerPodLabels", LabelsJson(p.controller_pod_labels)},
        {"proxyClients", clients},
        {"monitoringNamespaces", p.monitoring_namespaces},
        {"nodeCIDRs", p.node_cidrs}}},
      {"scope", {{"ownerKind", p.owner_kind}, {"kinds", kinds}, {"bootstrapLabels", LabelsJson(p.bootstrap_labels)}}},
      {"rules", rules},
      {"ratchet", ratchet},
      {"workloadControllers", p.workload_controllers},
      {"remediate", p.remediate},
      {"exemptNamespaces", p.exempt_namespaces},
  };
}

}  // namespace seiguard
