// What the commands that print generated manifests share (`seiguard vap`,
// `seiguard webhooks`): the policy they generate from, the output format,
// and how the documents are printed.
#ifndef SEIGUARD_WEBHOOK_MANIFEST_COMMAND_H_
#define SEIGUARD_WEBHOOK_MANIFEST_COMMAND_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace seiguard {

struct ManifestOptions {
  std::string policy_file;  // empty: the embedded policy
  std::string format = "yaml";
};

// Registers --policy-file and -o,--output on `cmd`, bound to `options`.
void AddManifestOptions(CLI::App* cmd, ManifestOptions* options);

// The documents as the command prints them: for "yaml", `header` (comment
// lines) then each document after a "---" line; for "json", one v1 List of
// them (no header: JSON has no comments).
std::string ManifestsText(const std::vector<nlohmann::ordered_json>& docs, const std::string& format,
                          const std::string& header);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_MANIFEST_COMMAND_H_
