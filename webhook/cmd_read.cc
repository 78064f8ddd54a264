// seiguard read: the JSON kubectl would send for each manifest document, the
// input every rule judges. For seeing why a manifest means what it means
// ("is this 0755 a number?"), and the hook the differential tests against
// kubectl's own YAML library use.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "rules/decode.h"
#include "webhook/checker.h"
#include "webhook/commands.h"
#include "webhook/json_text.h"
#include "webhook/policy_file.h"
#include "webhook/yaml_scalar.h"

namespace seiguard {
namespace {

namespace dom = simdjson::dom;

struct ReadOptions {
  std::vector<std::string> paths;
  bool patches = false;
  std::string policy_file;
};

// A JSON document as kubectl holds and resends it: compact, numbers that
// are integers as int64, every other number as a float64 in Go's form
// (8443.0 -> 8443, 1e3 -> 1000).
void AppendKubectlJson(std::string& out, dom::element e) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      out += '{';
      bool first = true;
      for (dom::key_value_pair kv : dom::object(e)) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, kv.key);
        out += ':';
        AppendKubectlJson(out, kv.value);
      }
      out += '}';
      return;
    }
    case dom::element_type::ARRAY: {
      out += '[';
      bool first = true;
      for (dom::element item : dom::array(e)) {
        if (!first) out += ',';
        first = false;
        AppendKubectlJson(out, item);
      }
      out += ']';
      return;
    }
    case dom::element_type::INT64: out += std::to_string(e.get_int64().value_unsafe()); return;
    case dom::element_type::UINT64:  // beyond int64: a float64 in Go
      AppendGoJsonFloat(out, static_cast<double>(e.get_uint64().value_unsafe()));
      return;
    case dom::element_type::DOUBLE: AppendGoJsonFloat(out, e.get_double().value_unsafe()); return;
    case dom::element_type::STRING: AppendJsonString(out, e.get_string().value_unsafe()); return;
    case dom::element_type::BOOL: out += e.get_bool().value_unsafe() ? "true" : "false"; return;
    case dom::element_type::NULL_VALUE: out += "null"; return;
  }
}

int RunRead(const ReadOptions& opt) {
  StatusOr<Policy> policy = LoadPolicyFile(opt.policy_file);
  if (!policy.ok()) {
    std::cerr << "seiguard read: " << policy.status().message() << "\n";
    return kExitUsage;
  }
  ManifestSet set = ReadManifests(opt.paths);
  // Documents and errors of a file in the order they stand in it; files in
  // the order they were read.
  struct Line {
    size_t file_rank;
    size_t line, column;
    std::string text;
  };
  std::vector<Line> lines;
  std::unordered_map<std::string, size_t> ranks;
  auto file_rank = [&](const std::string& f) { return ranks.emplace(f, ranks.size()).first->second; };
  JsonParser parser, patch_parser;
  for (const ManifestDocument& doc : set.documents) {
    std::string text = "{\"file\":";
    AppendJsonString(text, doc.file);
    text += ",\"line\":" + std::to_string(doc.line) + ",\"object\":";
    if (doc.yaml) {
      text += doc.json;
    } else if (auto root = parser.Parse(doc.source); root.ok()) {
      AppendKubectlJson(text, *root);
    }
    if (opt.patches) text += ",\"patch\":" + FixPatch(doc, *policy, patch_parser).dump();
    lines.push_back({file_rank(doc.file), doc.line, doc.source_column, text + "}"});
  }
  for (const ManifestError& e : set.errors) {
    std::string text = "{\"file\":";
    AppendJsonString(text, e.file);
    text += ",\"line\":" + std::to_string(e.line) + ",\"column\":" + std::to_string(e.column) + ",\"error\":";
    AppendJsonString(text, e.message);
    lines.push_back({file_rank(e.file), e.line, e.column, text + "}"});
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.file_rank != b.file_rank ? a.file_rank < b.file_rank
           : a.line != b.line         ? a.line < b.line
                                      : a.column < b.column;
  });
  for (const Line& l : lines) std::cout << l.text << "\n";
  std::cout.flush();
  return set.errors.empty() ? kExitOk : kExitUsage;
}

}  // namespace

Runner SetupRead(CLI::App& app) {
  auto opt = std::make_shared<ReadOptions>();
  CLI::App* cmd = app.add_subcommand(
      "read",
      "Print each manifest document as the JSON kubectl would send for it, one line\n"
      "each: {\"file\",\"line\",\"object\"}, or {\"file\",\"line\",\"column\",\"error\"} for\n"
      "a document kubectl would refuse. YAML is read as kubectl reads it (YAML 1.1:\n"
      "yes is true, 0755 is 493; merge keys applied). Exit 2 when a document fails.");
  cmd->add_option("paths", opt->paths, "files, directories, or - for stdin")->required();
  cmd->add_flag("--patches", opt->patches,
                "add each document's --fix patch (JSON Patch, paths from the document root)");
  cmd->add_option("--policy-file", opt->policy_file, "policy file for --patches; default: the embedded policy");
  return [cmd, opt] { return cmd->parsed() ? RunRead(*opt) : -1; };
}

}  // namespace seiguard
