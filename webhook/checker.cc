#include "webhook/checker.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "rules/decode.h"
#include "rules/engine.h"
#include "rules/json_patch.h"
#include "rules/reach.h"
#include "webhook/yaml_emit.h"

namespace seiguard {
namespace {

namespace dom = simdjson::dom;

std::string StringField(dom::element obj, const char* a, const char* b = nullptr) {
  dom::element v;
  if (obj[a].get(v)) return "";
  if (b != nullptr && v[b].get(v)) return "";
  std::string_view s;
  return v.get_string().get(s) ? std::string() : std::string(s);
}

// A List of objects: kind List (kubectl get -o yaml/json) or any *List kind
// with items.
bool IsList(dom::element root) {
  std::string kind = StringField(root, "kind");
  dom::array items;
  return kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 && !root["items"].get(items);
}

// The objects of a parsed document, each with its JSON Pointer in it: the
// document itself, or every item of a List.
std::vector<std::pair<std::string, dom::element>> ObjectsOf(dom::element root) {
  std::vector<std::pair<std::string, dom::element>> objects;
  if (!IsList(root)) {
    objects.emplace_back("", root);
    return objects;
  }
  size_t i = 0;
  for (dom::element item : dom::array(root["items"])) {
    objects.emplace_back("/items/" + std::to_string(i++), item);
  }
  return objects;
}

// An object kubectl would send: it names its apiVersion and kind.
bool IsKubernetesObject(dom::element root) {
  std::string_view s;
  return !root["apiVersion"].get(s) && !root["kind"].get(s);
}

// What to do about a YAML value that is not a string where one belongs: the
// usual cause is an unquoted yes, on, 0755 or 1e3, which kubectl reads as a
// boolean or a number.
std::string YamlTypeHint(const std::string& message) {
  for (const char* got : {"expected a string, got a boolean", "expected a string, got an integer",
                          "expected a string, got a number"}) {
    if (message.find(got) != std::string::npos) {
      return " (kubectl reads an unquoted yes, no, on, off, 0755 or 1e3 as a boolean or a number: "
             "quote the value)";
    }
  }
  return "";
}

// The input's NetworkPolicies and Namespaces. Only documents that can hold
// one are parsed (a substring test), so a folder of workloads costs nothing.
// What the API server's admission chain makes of a CREATE, as
// `kubectl apply --dry-run=server` shows it: a Pod goes to /mutate first, and
// its denial is the answer; otherwise /validate judges the patched pod, and
// the answer carries both webhooks' warnings. Other kinds only reach
// /validate: the mutating webhook is registered for Pods alone.
Evaluation Admit(dom::element element, const Object& object, const Request& request, const Policy& policy) {
  // The mutating webhook takes Pod CREATEs only.
  if (!object.IsPod() || request.operation != Operation::kCreate) return Evaluate(request, policy, Mode::kValidate);
  Evaluation mutated = Evaluate(request, policy, Mode::kMutate);
  if (mutated.Denied()) return mutated;
  JsonParser patched_parser;  // the patched pod's views live in here
  StatusOr<Object> patched = Status::Error("");
  if (!mutated.patch.empty()) {
    nlohmann::json value = nlohmann::json::parse(simdjson::to_string(element), nullptr, false);
    bool applied = false;
    try {
      value = value.patch(PatchToJson(mutated.patch));
      applied = true;
    } catch (const std::exception&) {
      // Not reached (the engine's patches apply; tested, fuzzed): the pod is
      // judged unpatched, as the API server would after a failed mutation.
    }
    if (applied) {
      std::string text = value.dump();
      if (auto root = patched_parser.Parse(text); root.ok()) patched = DecodeObject(*root, Kind::kPod);
    }
  }
  Request final_request = request;
  if (patched.ok()) final_request.object = &*patched;
  Evaluation validated = Evaluate(final_request, policy, Mode::kValidate);
  for (Finding& f : mutated.findings) {
    bool repeated = std::any_of(validated.findings.begin(), validated.findings.end(), [&](const Finding& v) {
      return v.rule == f.rule && v.severity == f.severity && v.Message() == f.Message();
    });
    if (!repeated) validated.findings.push_back(std::move(f));
  }
  return validated;
}

NetworkContext NetworkOf(const ManifestSet& manifests, JsonParser& parser) {
  NetworkContext net;
  for (const ManifestDocument& doc : manifests.documents) {
    const std::string& text = doc.Json();
    if (text.find("NetworkPolicy") == std::string::npos && text.find("Namespace") == std::string::npos) continue;
    auto root = parser.Parse(text);
    if (!root.ok()) continue;  // reported by the main pass
    for (auto& [prefix, element] : ObjectsOf(*root)) {
      std::string kind = StringField(element, "kind"), api = StringField(element, "apiVersion");
      if (kind == "Namespace" && api == "v1") {
        StatusOr<Object> ns = DecodeObject(element, Kind::kOther);
        if (!ns.ok()) continue;
        NamespaceInfo info{std::string(ns->meta.name), {}};
        for (const auto& [k, v] : ns->meta.labels) info.labels.emplace_back(std::string(k), std::string(v));
        // The API server sets the name label on every namespace.
        if (FindLabel(info.labels, "kubernetes.io/metadata.name") == nullptr) {
          info.labels.emplace_back("kubernetes.io/metadata.name", info.name);
        }
        net.namespaces.push_back(std::move(info));
      } else if (KindOf(element) == Kind::kNetworkPolicy) {
        StatusOr<Object> np = DecodeObject(element, Kind::kNetworkPolicy);
        if (np.ok()) net.policies.push_back(std::move(np->network_policy));
      }
    }
  }
  return net;
}

// What is assumed of namespaces when the input has no Namespace object.
constexpr char kNameLabelOnly[] =
    "no Namespace objects in the input: each namespace is taken to carry only its "
    "kubernetes.io/metadata.name label";

bool ReachJudged(const Policy& policy) {
  for (const RuleInfo& r : Rules()) {
    if ((r.name == "proxy-port-reach" || r.name == "public-port-reach") && policy.action(r.id) != Action::kOff) {
      return true;
    }
  }
  return false;
}

// What the reader should know about the network verdicts of a run.
std::vector<std::string> NetworkNotes(const NetworkContext& net, const std::set<std::string>& pod_namespaces) {
  std::vector<std::string> notes;
  if (pod_namespaces.empty()) return notes;
  if (net.policies.empty() && net.namespaces.empty()) {
    notes.push_back("the input holds no NetworkPolicy or Namespace, so who reaches the SeiNode pods was not "
                    "judged (a folder of workloads says nothing of the cluster's policies): add the "
                    "namespaces' NetworkPolicies, or check a live cluster with `kubectl get "
                    "pods,statefulsets,networkpolicies,namespaces -A -o yaml`");
    return notes;
  }
  std::string undescribed;
  for (const std::string& ns : pod_namespaces) {
    if (!net.Describes(ns)) undescribed += (undescribed.empty() ? "" : ", ") + (ns.empty() ? "(none)" : ns);
  }
  if (!undescribed.empty()) {
    notes.push_back("no NetworkPolicy or Namespace of namespace(s) " + undescribed +
                    " in the input: who reaches their SeiNode pods was not judged");
  }
  if (net.namespaces.empty()) {
    notes.push_back(kNameLabelOnly);
  }
  return notes;
}

}  // namespace

size_t CheckReport::Count(Severity s) const {
  size_t n = 0;
  for (const LocatedFinding& f : findings) n += f.finding.severity == s;
  return n;
}

size_t CheckReport::SkippedTotal() const {
  size_t n = 0;
  for (const auto& [kind, count] : skipped) n += count;
  return n;
}

namespace {

// "StatefulSet/ns/name": how an input object finds its live one.
std::string LiveKey(std::string_view kind, std::string_view ns, std::string_view name) {
  return std::string(kind) + "/" + std::string(ns.empty() ? "default" : ns) + "/" + std::string(name);
}

// The live objects by LiveKey, as JSON text (decoded when an input matches).
std::map<std::string, std::string> LiveObjects(const ManifestSet& live, const Policy& policy) {
  std::map<std::string, std::string> out;
  JsonParser parser;
  for (const ManifestDocument& doc : live.documents) {
    auto root = parser.Parse(doc.Json());
    if (!root.ok()) continue;
    for (auto& [prefix, element] : ObjectsOf(*root)) {
      Kind kind = KindOf(element);
      if (!policy.Judges(kind)) continue;
      out.emplace(LiveKey(KindName(kind), StringField(element, "metadata", "namespace"),
                          StringField(element, "metadata", "name")),
                  simdjson::to_string(element));
    }
  }
  return out;
}

}  // namespace

CheckReport Check(const ManifestSet& manifests, const Policy& policy, const ManifestSet* live) {
  CheckReport report;
  const std::map<std::string, std::string> live_objects =
      live != nullptr ? LiveObjects(*live, policy) : std::map<std::string, std::string>();
  size_t updates = 0;
  report.files = manifests.files;
  report.errors = manifests.errors;
  JsonParser parser;
  const NetworkContext network = NetworkOf(manifests, parser);
  const NetworkContext* net = network.policies.empty() && network.namespaces.empty() ? nullptr : &network;
  std::set<std::string> pod_namespaces;  // of judged SeiNode pods and templates
  for (const ManifestDocument& doc : manifests.documents) {
    ++report.documents;
    auto root = parser.Parse(doc.Json());
    if (!root.ok()) {
      report.errors.push_back(doc.yaml ? ManifestError{doc.file, doc.line, 1, root.status().message()}
                                       : JsonErrorAt(doc.file, doc.source, root.status().message()));
      continue;
    }
    std::vector<std::pair<std::string, dom::element>> objects = ObjectsOf(*root);
    // Positions are found for the whole document in one pass at the end;
    // each path collected here has a slot saying whose position it is.
    enum class Slot { kObject, kFinding, kError };
    std::vector<TokenPath> paths;
    std::vector<std::pair<Slot, size_t>> slots;
    auto add_error = [&](const TokenPath& base, const std::string& pointer, const std::string& kind,
                         const std::string& message, bool yaml) {
      TokenPath at = base;
      for (std::string& t : PointerTokens(pointer)) at.push_back(std::move(t));
      slots.emplace_back(Slot::kError, report.errors.size());
      paths.push_back(std::move(at));
      report.errors.push_back({doc.file, 0, 0, "cannot decode the " + kind + ": " + message + (yaml ? YamlTypeHint(message) : "")});
    };
    for (auto& [prefix, element] : objects) {
      Kind kind = KindOf(element);
      TokenPath base = PointerTokens(prefix);
      std::string error_pointer;
      if (!policy.Judges(kind)) {
        ++report.skipped[StringField(element, "kind")];
        // kubectl (and every API server) refuses an object whose metadata has
        // a value of the wrong type, whatever its kind: so does check.
        if (IsKubernetesObject(element)) {
          if (StatusOr<Object> meta = DecodeObject(element, Kind::kOther, &error_pointer); !meta.ok()) {
            add_error(base, error_pointer, StringField(element, "kind"), meta.status().message(), doc.yaml);
          }
        }
        continue;
      }
      CheckedObject checked{doc.file, doc.index, prefix.empty() ? "" : "items[" + prefix.substr(7) + "]",
                            std::string(KindName(kind)), StringField(element, "metadata", "namespace"),
                            StringField(element, "metadata", "name"), 0, 0, {}};
      StatusOr<Object> obj = DecodeObject(element, kind, &error_pointer);
      if (!obj.ok()) {
        add_error(base, error_pointer, checked.kind, obj.status().message(), doc.yaml);
        continue;
      }
      size_t object_index = report.objects.size();
      slots.emplace_back(Slot::kObject, object_index);
      paths.push_back(base);
      Request request{Operation::kCreate, &*obj, nullptr, checked.namespace_, net};
      JsonParser live_parser;  // the live object's views live in here
      StatusOr<Object> old = Status::Error("");
      if (auto it = live_objects.find(LiveKey(checked.kind, checked.namespace_, checked.name));
          !checked.name.empty() && it != live_objects.end()) {
        if (auto old_root = live_parser.Parse(it->second); old_root.ok()) old = DecodeObject(*old_root, kind);
        if (old.ok()) {
          request.operation = Operation::kUpdate;
          request.old_object = &*old;
          ++updates;
        }
      }
      Evaluation eval = Admit(element, *obj, request, policy);
      if (eval.in_scope && obj->pod.present) pod_namespaces.insert(checked.namespace_);
      for (Finding& f : eval.findings) {
        TokenPath tokens = base;
        for (std::string& t : PointerTokens(f.path.Pointer())) tokens.push_back(std::move(t));
        slots.emplace_back(Slot::kFinding, report.findings.size());
        paths.push_back(std::move(tokens));
        checked.findings.push_back(report.findings.size());
        report.findings.push_back({object_index, std::move(f), 0, 0});
      }
      report.objects.push_back(std::move(checked));
    }
    if (paths.empty()) continue;
    std::vector<TextPosition> at = Locate(doc, paths);
    for (size_t i = 0; i < slots.size(); ++i) {
      auto [slot, index] = slots[i];
      size_t* line = slot == Slot::kObject  ? &report.objects[index].line
                     : slot == Slot::kError ? &report.errors[index].line
                                            : &report.findings[index].line;
      size_t* column = slot == Slot::kObject  ? &report.objects[index].column
                       : slot == Slot::kError ? &report.errors[index].column
                                              : &report.findings[index].column;
      *line = at[i].line;
      *column = at[i].column;
    }
  }
  if (ReachJudged(policy)) report.notes = NetworkNotes(network, pod_namespaces);
  if (live != nullptr) {
    report.errors.insert(report.errors.end(), live->errors.begin(), live->errors.end());
    report.notes.push_back(std::to_string(updates) + " object(s) judged as an UPDATE of the live object of their kind, " +
                           "namespace and name (--live): what it already had is only warned");
  }
  return report;
}

std::string ReachTable(const ManifestSet& manifests, const Policy& policy) {
  JsonParser parser;
  const NetworkContext net = NetworkOf(manifests, parser);
  struct Line {
    std::string object, port, from, by, verdict;
  };
  std::vector<Line> lines;
  for (const ManifestDocument& doc : manifests.documents) {
    auto root = parser.Parse(doc.Json());
    if (!root.ok()) continue;
    for (auto& [prefix, element] : ObjectsOf(*root)) {
      Kind kind = KindOf(element);
      if (!policy.Judges(kind) || kind == Kind::kNetworkPolicy || kind == Kind::kService) continue;
      StatusOr<Object> obj = DecodeObject(element, kind);
      if (!obj.ok() || !obj->pod.present || !InScope(*obj, policy)) continue;
      PodTarget target = TargetOf(*obj);
      std::string name = std::string(KindName(kind)) + "/" + (target.namespace_.empty() ? "" : target.namespace_ + "/") +
                         std::string(obj->meta.name);
      for (const Listener& l : {ProxyListener(policy), PublicListener(policy)}) {
        std::string port = ":" + std::to_string(l.port);
        if (!net.Describes(target.namespace_)) {
          lines.push_back({name, port, "not judged: no NetworkPolicy or Namespace of this namespace in the input", "", ""});
          name.clear();
          continue;
        }
        for (const ReachRow& row : WhoReaches(net, target, l)) {
          lines.push_back({name, port, row.from, row.by, row.beyond ? "TOO WIDE" : "ok"});
          name.clear();
          port.clear();
        }
      }
    }
  }
  if (lines.empty()) return "no SeiNode pod or template in the input\n";
  Line head{"OBJECT", "PORT", "REACHED FROM", "GRANTED BY", "VERDICT"};
  size_t w[4] = {head.object.size(), head.port.size(), head.from.size(), head.by.size()};
  for (const Line& l : lines) {
    w[0] = std::max(w[0], l.object.size());
    w[1] = std::max(w[1], l.port.size());
    w[2] = std::max(w[2], l.from.size());
    w[3] = std::max(w[3], l.by.size());
  }
  std::string out;
  auto row = [&](const Line& l) {
    std::string text = l.object + std::string(w[0] - l.object.size() + 2, ' ') + l.port +
                       std::string(w[1] - l.port.size() + 2, ' ') + l.from;
    if (!l.by.empty() || !l.verdict.empty()) {
      text += std::string(w[2] - l.from.size() + 2, ' ') + l.by + std::string(w[3] - l.by.size() + 2, ' ') + l.verdict;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  row(head);
  for (const Line& l : lines) row(l);
  if (net.namespaces.empty() && !net.policies.empty()) {
    out += std::string("note: ") + kNameLabelOnly + "\n";
  }
  return out;
}

nlohmann::json FixPatch(const ManifestDocument& doc, const Policy& policy, JsonParser& parser,
                        std::vector<std::string>* assumptions) {
  nlohmann::json ops = nlohmann::json::array();
  auto root = parser.Parse(doc.Json());
  if (!root.ok()) return ops;
  for (auto& [prefix, element] : ObjectsOf(*root)) {
    Kind kind = KindOf(element);
    if (!policy.Judges(kind)) continue;
    StatusOr<Object> obj = DecodeObject(element, kind);
    if (!obj.ok()) continue;
    std::string ns = StringField(element, "metadata", "namespace");
    Evaluation eval = Evaluate(Request{Operation::kCreate, &*obj, nullptr, ns}, policy, Mode::kFix);
    if (assumptions != nullptr) {
      const std::string who = LiveKey(KindName(kind), ns, StringField(element, "metadata", "name"));
      for (const std::string& a : eval.assumptions) assumptions->push_back(who + ": " + a);
    }
    for (nlohmann::json& op : PatchToJson(eval.patch)) {
      op["path"] = prefix + op["path"].get<std::string>();
      ops.push_back(std::move(op));
    }
  }
  return ops;
}

std::string FixedYaml(const ManifestSet& manifests, const Policy& policy,
                      std::vector<std::string>* assumptions) {
  using ordered = nlohmann::ordered_json;
  std::string out;
  JsonParser parser;
  for (const ManifestDocument& doc : manifests.documents) {
    ordered value = ordered::parse(doc.Json(), nullptr, false);
    if (value.is_discarded()) continue;  // not reached: the reader validated every document
    nlohmann::json patch = FixPatch(doc, policy, parser, assumptions);
    // The engine never emits a patch that cannot apply (tested, fuzzed);
    // should one slip through, the document is printed unfixed and the
    // re-check reports what remains, rather than the run dying.
    if (!patch.empty()) {
      try {
        value = value.patch(ordered::parse(patch.dump()));
      } catch (const std::exception&) {
      }
    }
    if (!out.empty()) out += "---\n";
    out += ToYaml(value);
  }
  return out;
}

}  // namespace seiguard
