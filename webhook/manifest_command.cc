#include "webhook/manifest_command.h"

#include <CLI/CLI.hpp>

#include "webhook/yaml_emit.h"

namespace seiguard {

using ordered = nlohmann::ordered_json;

void AddManifestOptions(CLI::App* cmd, ManifestOptions* options) {
  cmd->add_option("--policy-file", options->policy_file, "policy file (YAML or JSON); default: the embedded policy")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->format, "yaml (documents) or json (a v1 List)")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
}

std::string ManifestsText(const std::vector<ordered>& docs, const std::string& format, const std::string& header) {
  if (format == "json") {
    return ordered{{"apiVersion", "v1"}, {"kind", "List"}, {"items", docs}}.dump(2) + "\n";
  }
  std::string out = header;
  for (const ordered& doc : docs) out += "---\n" + ToYaml(doc);
  return out;
}

}  // namespace seiguard
