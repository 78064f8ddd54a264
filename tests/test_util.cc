#include "tests/test_util.h"

#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "webhook/yaml_json.h"

namespace seiguard::testing {

std::filesystem::path SourceDir() { return SEIGUARD_SOURCE_DIR; }
std::filesystem::path FixturesDir() { return SourceDir() / "tests" / "fixtures"; }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json LoadYaml(const std::filesystem::path& path) {
  auto docs = YamlToJson(ReadFile(path));
  if (!docs.ok()) throw std::runtime_error(path.string() + ":" + docs.status().message());
  if (docs->size() != 1) throw std::runtime_error(path.string() + ": want one document");
  return nlohmann::json::parse((*docs)[0].json);
}

std::string Base64Decode(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) throw std::runtime_error("bad base64");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

nlohmann::json MakeReview(const nlohmann::json& object, const std::string& operation,
                          const nlohmann::json& old_object, const std::string& version) {
  const nlohmann::json& any = object.is_null() ? old_object : object;
  std::string api_version = any.value("apiVersion", "v1");
  std::string group = api_version.find('/') == std::string::npos
                          ? ""
                          : api_version.substr(0, api_version.find('/'));
  std::string kind = any.value("kind", "");
  std::string resource = kind;
  for (char& c : resource) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  resource = resource.back() == 'y' ? resource.substr(0, resource.size() - 1) + "ies" : resource + "s";
  nlohmann::json meta = any.value("metadata", nlohmann::json::object());
  return {
      {"apiVersion", "admission.k8s.io/" + version},
      {"kind", "AdmissionReview"},
      {"request",
       {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
        {"kind", {{"group", group}, {"version", "v1"}, {"kind", kind}}},
        {"resource", {{"group", group}, {"version", "v1"}, {"resource", resource}}},
        {"name", meta.value("name", "")},
        {"namespace", meta.value("namespace", "")},
        {"operation", operation},
        {"userInfo", {{"username", "admin"}}},
        {"object", object},
        {"oldObject", old_object},
        {"dryRun", false}}},
  };
}

std::string InApiServerOrder(const nlohmann::json& review) {
  using ordered = nlohmann::ordered_json;
  auto in_order = [](const nlohmann::json& obj, std::initializer_list<const char*> keys) {
    ordered out = ordered::object();
    for (const char* k : keys) {
      if (obj.contains(k)) out[k] = ordered::parse(obj[k].dump());
    }
    for (const auto& [k, v] : obj.items()) {
      if (!out.contains(k)) out[k] = ordered::parse(v.dump());
    }
    return out;
  };
  ordered out = in_order(review, {"kind", "apiVersion"});
  if (review.contains("request") && review["request"].is_object()) {
    out["request"] = in_order(review["request"],
                              {"uid", "kind", "resource", "subResource", "requestKind", "requestResource",
                               "requestSubResource", "name", "namespace", "operation", "userInfo",
                               "object", "oldObject", "dryRun", "options"});
  }
  return out.dump();
}

namespace {

using ordered = nlohmann::ordered_json;

ordered Dump(const ObjectMeta& m) {
  ordered labels = ordered::array(), owners = ordered::array();
  for (const auto& [k, v] : m.labels) labels.push_back({std::string(k), std::string(v)});
  for (const OwnerReference& o : m.owners) {
    owners.push_back({std::string(o.api_version), std::string(o.kind), std::string(o.name), o.controller});
  }
  return {{"present", m.present}, {"name", std::string(m.name)}, {"generateName", std::string(m.generate_name)},
          {"namespace", std::string(m.namespace_)}, {"hasLabels", m.has_labels}, {"labels", labels},
          {"mirror", m.mirror}, {"owners", owners}};
}

ordered Dump(const IntOrString& p) {
  return {p.present, p.is_string, p.number, std::string(p.text)};
}

ordered Dump(const LabelSelector& s) {
  ordered exprs = ordered::array();
  for (const SelectorRequirement& r : s.expressions) exprs.push_back({r.key, static_cast<int>(r.op), r.values});
  return {{"matchLabels", s.match_labels}, {"expressions", exprs}};
}

template <typename T>
ordered Strings(const std::vector<T>& list) {
  ordered out = ordered::array();
  for (const auto& s : list) out.push_back(std::string(s));
  return out;
}

}  // namespace

std::string DumpObject(const Object& obj) {
  ordered containers = ordered::array();
  for (const Container& c : obj.pod.containers) {
    ordered ports = ordered::array(), env = ordered::array(), probes = ordered::array();
    for (const ContainerPort& p : c.ports) ports.push_back({std::string(p.name), p.container_port, std::string(p.protocol)});
    for (const EnvVar& e : c.env) env.push_back({std::string(e.name), e.has_value, std::string(e.value), e.has_value_from});
    for (const Probe& p : c.probes) {
      probes.push_back({static_cast<int>(p.type), static_cast<int>(p.handler), Dump(p.port), std::string(p.http_path)});
    }
    containers.push_back({{"init", c.init}, {"index", c.index}, {"name", std::string(c.name)},
                          {"image", std::string(c.image)}, {"restartAlways", c.restart_always},
                          {"command", Strings(c.command)}, {"args", Strings(c.args)}, {"hasPorts", c.has_ports},
                          {"ports", ports}, {"hasEnv", c.has_env}, {"env", env}, {"probes", probes}});
  }
  ordered service_ports = ordered::array();
  for (const ServicePort& p : obj.service.ports) service_ports.push_back({std::string(p.name), p.port});
  ordered ingress = ordered::array();
  for (const IngressRule& rule : obj.network_policy.ingress) {
    ordered from = ordered::array(), ports = ordered::array();
    for (const NetworkPolicyPeer& peer : rule.from) {
      from.push_back({peer.pod_selector ? Dump(*peer.pod_selector) : ordered(),
                      peer.namespace_selector ? Dump(*peer.namespace_selector) : ordered(),
                      peer.ip_block ? ordered{peer.ip_block->cidr, peer.ip_block->except} : ordered()});
    }
    for (const NetworkPolicyPort& p : rule.ports) {
      ports.push_back({p.protocol, p.has_port, p.named, p.number, p.name,
                       p.end_port ? ordered(*p.end_port) : ordered()});
    }
    ingress.push_back({from, ports});
  }
  ordered out = {
      {"kind", static_cast<int>(obj.kind)},
      {"meta", Dump(obj.meta)},
      {"pod", {{"present", obj.pod.present}, {"metaPath", std::string(obj.pod.meta_path.Pointer())},
               {"specPath", std::string(obj.pod.spec_path.Pointer())}, {"meta", Dump(obj.pod.meta)},
               {"containers", containers}}},
      {"service", {std::string(obj.service.cluster_ip), service_ports}},
      {"networkPolicy", {obj.network_policy.namespace_, obj.network_policy.name,
                         Dump(obj.network_policy.pod_selector), obj.network_policy.ingress_type, ingress}},
  };
  return out.dump();
}

std::string DecodersDisagree(const std::string& object_json, Kind kind) {
  thread_local JsonParser dom_parser, on_demand_parser;
  auto root = dom_parser.Parse(object_json);
  if (!root.ok()) return "not JSON: " + root.status().message();
  StatusOr<Object> a = DecodeObject(*root, kind);
  simdjson::ondemand::document doc;
  simdjson::ondemand::value value;
  if (on_demand_parser.Iterate(object_json, &doc) || doc.get_value().get(value)) return "On-Demand cannot start";
  StatusOr<Object> b = DecodeObject(value, kind);
  std::string da = a.ok() ? DumpObject(*a) : "error: " + a.status().message();
  std::string db = b.ok() ? DumpObject(*b) : "error: " + b.status().message();
  return da == db ? "" : "DOM:       " + da + "\nOn-Demand: " + db;
}

std::string ReadersDisagree(const std::string& body, Endpoint endpoint, const Policy& policy,
                            bool* on_demand_answered) {
  AdmissionHandler dom, on_demand;
  dom.UseReader(AdmissionHandler::Reader::kDomOnly);
  on_demand.UseReader(AdmissionHandler::Reader::kOnDemandOnly);
  StatusOr<ReviewResult> a = dom.Review(body, endpoint, policy);
  StatusOr<ReviewResult> b = on_demand.Review(body, endpoint, policy);
  if (on_demand_answered != nullptr) *on_demand_answered = b.ok();
  bool dom_judged = a.ok() && a->decision != Decision::kError;
  if (!b.ok()) {
    return dom_judged ? "the On-Demand reader passed on a review the DOM reader judges: " + a->body : "";
  }
  if (!a.ok()) return "the On-Demand reader answered a body the DOM reader refuses (" + a.status().message() + ")";
  auto facts = [](const ReviewResult& r) {
    std::string f = r.body + "\n" + r.uid + "|" + r.kind + "|" + r.namespace_ + "|" + r.name + "|" +
                    r.operation + "|" + (r.dry_run ? "dry" : "") + "|" + std::string(DecisionName(r.decision));
    for (const Finding& finding : r.findings) f += "\n" + finding.Warning();
    return f;
  };
  std::string fa = facts(*a), fb = facts(*b);
  return fa == fb ? "" : "DOM reader:\n" + fa + "\nOn-Demand reader:\n" + fb;
}

bool IsValidAuditKey(const std::string& key) {
  static const std::regex kName("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  return !key.empty() && key.size() <= 63 && std::regex_match(key, kName);
}

RuleId RuleNamed(std::string_view name) {
  std::optional<RuleId> id = RuleFromName(name);
  if (!id) throw std::invalid_argument("no rule named " + std::string(name) + " in rules/registry.inc");
  return *id;
}

}  // namespace seiguard::testing
