#include "webhook/report.h"

#include <map>

#include <nlohmann/json.hpp>

namespace seiguard {
namespace {

using nlohmann::ordered_json;

std::string ActionOf(const Finding& f) { return f.severity == Severity::kDeny ? "deny" : "warn"; }

// "kind/namespace/name" (namespace left out when empty).
std::string ObjectName(const CheckedObject& o) {
  std::string name = o.kind + "/";
  if (!o.namespace_.empty()) name += o.namespace_ + "/";
  name += o.name.empty() ? "(unnamed)" : o.name;
  return name;
}

// The finding's line without its "[rule] " prefix: path, container, what, fix.
std::string Detail(const Finding& f) {
  std::string m = f.Message();
  return m.substr(m.find("] ") + 2);
}

std::string Xml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

std::string Position(const std::string& file, size_t line, size_t column) {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

std::string TextReport(const CheckReport& r) {
  std::string out;
  for (const ManifestError& e : r.errors) {
    out += Position(e.file, e.line, e.column) + ": error: " + e.message + "\n";
  }
  for (const LocatedFinding& lf : r.findings) {
    const CheckedObject& o = r.objects[lf.object];
    out += Position(o.file, lf.line, lf.column) + ": " + ActionOf(lf.finding) + " [" +
           std::string(Rule(lf.finding.rule).name) + "] " + ObjectName(o) + ": " + Detail(lf.finding) + "\n";
  }
  for (const std::string& note : r.notes) out += "note: " + note + "\n";
  std::string skipped;
  for (const auto& [kind, n] : r.skipped) {
    skipped += (skipped.empty() ? "" : ", ") + std::to_string(n) + " " + (kind.empty() ? "without kind" : kind);
  }
  out += "checked " + std::to_string(r.objects.size()) + " object(s) in " + std::to_string(r.files) +
         " file(s), skipped " + std::to_string(r.SkippedTotal()) + (skipped.empty() ? "" : " (" + skipped + ")") +
         ": " + std::to_string(r.Count(Severity::kDeny)) + " denying finding(s), " +
         std::to_string(r.Count(Severity::kWarn)) + " warning(s), " + std::to_string(r.errors.size()) +
         " error(s)\n";
  return out;
}

std::string JsonReport(const CheckReport& r) {
  ordered_json findings = ordered_json::array();
  for (const LocatedFinding& lf : r.findings) {
    const CheckedObject& o = r.objects[lf.object];
    const Finding& f = lf.finding;
    findings.push_back({{"file", o.file},
                        {"document", o.document},
                        {"line", lf.line},
                        {"column", lf.column},
                        {"kind", o.kind},
                        {"namespace", o.namespace_},
                        {"name", o.name},
                        {"rule", Rule(f.rule).name},
                        {"action", ActionOf(f)},
                        {"path", (o.item.empty() ? "" : o.item + ".").append(f.path.Dotted())},
                        {"container", f.container},
                        {"message", f.what + (f.fix.empty() ? "" : "; " + f.fix)}});
  }
  ordered_json errors = ordered_json::array();
  for (const ManifestError& e : r.errors) {
    errors.push_back({{"file", e.file}, {"line", e.line}, {"column", e.column}, {"message", e.message}});
  }
  ordered_json skipped = ordered_json::object();
  for (const auto& [kind, n] : r.skipped) skipped[kind] = n;
  ordered_json out = {{"files", r.files},
                      {"documents", r.documents},
                      {"objects", r.objects.size()},
                      {"skipped", skipped},
                      {"summary",
                       {{"deny", r.Count(Severity::kDeny)},
                        {"warn", r.Count(Severity::kWarn)},
                        {"errors", r.errors.size()}}},
                      {"findings", findings},
                      {"errors", errors},
                      {"notes", r.notes}};
  return out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string JunitReport(const CheckReport& r) {
  size_t failures = 0;
  std::string cases;
  for (const CheckedObject& o : r.objects) {
    cases += "    <testcase classname=\"" + Xml(o.file) + "\" name=\"" + Xml(ObjectName(o)) + "\">\n";
    std::string warnings;
    for (size_t i : o.findings) {
      const LocatedFinding& lf = r.findings[i];
      std::string where = Position(o.file, lf.line, lf.column);
      if (lf.finding.severity == Severity::kDeny) {
        ++failures;
        cases += "      <failure type=\"" + std::string(Rule(lf.finding.rule).name) + "\" message=\"" +
                 Xml("[" + std::string(Rule(lf.finding.rule).name) + "] " + lf.finding.what) + "\">" +
                 Xml(where + ": " + Detail(lf.finding)) + "</failure>\n";
      } else {
        warnings += where + ": warning [" + std::string(Rule(lf.finding.rule).name) + "] " + Detail(lf.finding) + "\n";
      }
    }
    if (!warnings.empty()) cases += "      <system-out>" + Xml(warnings) + "</system-out>\n";
    cases += "    </testcase>\n";
  }
  for (const ManifestError& e : r.errors) {
    cases += "    <testcase classname=\"" + Xml(e.file) + "\" name=\"" + Xml(Position(e.file, e.line, e.column)) +
             "\">\n      <error message=\"" + Xml(e.message) + "\">" +
             Xml(Position(e.file, e.line, e.column) + ": " + e.message) + "</error>\n    </testcase>\n";
  }
  size_t tests = r.objects.size() + r.errors.size();
  std::string counts = "tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
                       "\" errors=\"" + std::to_string(r.errors.size()) + "\"";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"seiguard\" " + counts +
         ">\n  <testsuite name=\"seiguard check\" " + counts + " skipped=\"0\">\n" + cases +
         "  </testsuite>\n</testsuites>\n";
}

std::string SarifReport(const CheckReport& r, std::string_view version) {
  ordered_json rules = ordered_json::array();
  for (const RuleInfo& info : Rules()) {
    rules.push_back({{"id", info.name},
                     {"name", info.name},
                     {"shortDescription", {{"text", info.summary}}},
                     {"fullDescription", {{"text", info.description}}},
                     {"help", {{"text", info.fix}}},
                     {"defaultConfiguration",
                      {{"level", info.default_action == Action::kWarn ? "warning" : "error"}}}});
  }
  ordered_json results = ordered_json::array();
  for (const LocatedFinding& lf : r.findings) {
    const CheckedObject& o = r.objects[lf.object];
    ordered_json region = {{"startLine", std::max<size_t>(lf.line, 1)},
                           {"startColumn", std::max<size_t>(lf.column, 1)}};
    results.push_back({{"ruleId", Rule(lf.finding.rule).name},
                       {"ruleIndex", lf.finding.rule.index()},
                       {"level", lf.finding.severity == Severity::kDeny ? "error" : "warning"},
                       {"message", {{"text", ObjectName(o) + ": " + Detail(lf.finding)}}},
                       {"locations",
                        {{{"physicalLocation",
                           {{"artifactLocation", {{"uri", o.file}}}, {"region", region}}}}}}});
  }
  ordered_json notifications = ordered_json::array();
  for (const ManifestError& e : r.errors) {
    ordered_json n = {{"level", "error"}, {"message", {{"text", e.message}}}};
    if (e.line > 0) {
      n["locations"] = {{{"physicalLocation",
                          {{"artifactLocation", {{"uri", e.file}}},
                           {"region", {{"startLine", e.line}, {"startColumn", std::max<size_t>(e.column, 1)}}}}}}};
    }
    notifications.push_back(n);
  }
  ordered_json run = {
      {"tool",
       {{"driver",
         {{"name", "seiguard"},
          {"version", version},
          {"informationUri", "https://github.com/sei-protocol/sei-k8s-controller"},
          {"rules", rules}}}}},
      {"results", results},
      {"invocations",
       {{{"executionSuccessful", r.errors.empty()}, {"toolExecutionNotifications", notifications}}}}};
  ordered_json out = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                      {"version", "2.1.0"},
                      {"runs", {run}}};
  return out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace seiguard
