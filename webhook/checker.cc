#include "webhook/checker.h"

#include <nlohmann/json.hpp>

#include "rules/decode.h"
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

CheckReport Check(const ManifestSet& manifests, const Policy& policy) {
  CheckReport report;
  report.files = manifests.files;
  report.errors = manifests.errors;
  JsonParser parser;
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
      Evaluation eval = Evaluate(Request{Operation::kCreate, &*obj, nullptr, checked.namespace_}, policy,
                                 Mode::kValidate);
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
  return report;
}

nlohmann::json FixPatch(const ManifestDocument& doc, const Policy& policy, JsonParser& parser) {
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
    for (nlohmann::json& op : PatchToJson(eval.patch)) {
      op["path"] = prefix + op["path"].get<std::string>();
      ops.push_back(std::move(op));
    }
  }
  return ops;
}

std::string FixedYaml(const ManifestSet& manifests, const Policy& policy) {
  using ordered = nlohmann::ordered_json;
  std::string out;
  JsonParser parser;
  for (const ManifestDocument& doc : manifests.documents) {
    ordered value = ordered::parse(doc.Json(), nullptr, false);
    if (value.is_discarded()) continue;  // not reached: the reader validated every document
    nlohmann::json patch = FixPatch(doc, policy, parser);
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
