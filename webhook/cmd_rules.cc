// seiguard rules / seiguard policy: what the engine enforces, and with which values.
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "rules/catalog.h"
#include "webhook/commands.h"
#include "webhook/policy_file.h"

namespace seiguard {

Runner SetupRules(CLI::App& app) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand(
      "rules", "List every rule with its default action and what it checks.");
  cmd->add_option("-o,--output", *format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return [cmd, format] {
    if (!cmd->parsed()) return -1;
    if (*format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const RuleInfo& r : Rules()) {
        out.push_back({{"name", r.name},
                       {"defaultAction", ActionName(r.default_action)},
                       {"actions", r.can_mutate ? nlohmann::json{"mutate", "deny", "warn", "off"}
                                                : nlohmann::json{"deny", "warn", "off"}},
                       {"summary", r.summary},
                       {"description", r.description},
                       {"help", r.help},
                       {"fix", r.help}});
      }
      std::cout << out.dump(2) << "\n";
      return kExitOk;
    }
    std::cout << std::left << std::setw(26) << "RULE" << std::setw(9) << "DEFAULT"
              << "DESCRIPTION\n";
    for (const RuleInfo& r : Rules()) {
      std::cout << std::setw(26) << r.name << std::setw(9) << ActionName(r.default_action)
                << r.summary << "\n";
    }
    return kExitOk;
  };
}

Runner SetupPolicy(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "policy",
      "Print the effective policy as JSON: the embedded defaults, or a policy file\n"
      "merged over them (validating the file; exit 2 with every problem listed).");
  cmd->add_option("--policy-file", *file, "policy file (YAML or JSON)")->check(CLI::ExistingFile);
  return [cmd, file] {
    if (!cmd->parsed()) return -1;
    StatusOr<Policy> policy = LoadPolicyFile(*file);
    if (!policy.ok()) {
      std::cerr << "seiguard policy: " << policy.status().message() << "\n";
      return kExitUsage;
    }
    std::cout << PolicyToJson(*policy).dump(2) << "\n";
    return kExitOk;
  };
}

}  // namespace seiguard
