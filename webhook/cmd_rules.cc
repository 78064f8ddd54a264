// seiguard rules / seiguard policy: what the engine enforces, and with which values.
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "rules/catalog.h"
#include "webhook/commands.h"
#include "webhook/policy_file.h"
#include "webhook/yaml_emit.h"

namespace seiguard {
namespace {

// The actions a rule accepts, the injecting one first.
std::vector<std::string_view> AllowedActions(const RuleInfo& r) {
  if (r.can_mutate()) return {"mutate", "deny", "warn", "off"};
  return {"deny", "warn", "off"};
}

// A table cell: one line, no column break.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

// The rule reference as a Markdown table (the README's, by `make generate`).
void PrintMarkdown() {
  std::cout << "| rule | default | what it checks | how to fix |\n| --- | --- | --- | --- |\n";
  for (const RuleInfo& r : Rules()) {
    std::cout << "| `" << r.name << "` | " << ActionName(r.default_action) << " | " << Cell(r.description)
              << " | " << Cell(r.fix) << " |\n";
  }
}

// What each field of a policy means, as a comment on its line.
std::string_view FieldComment(const std::string& path) {
  static const std::map<std::string, std::string_view, std::less<>> kComments = {
      {"apiVersion", "optional, as every field"},
      {"proxy.containerName", "the proxy is any container of this name..."},
      {"proxy.imageMatch", "...or whose image name contains this"},
      {"proxy.port", "the proxy's port: no probe may target it"},
      {"proxy.portName", "its name in SeiNode pods (NetworkPolicy ports by name)"},
      {"sidecar.publicPort", "the sidecar's public listener (health, metrics)"},
      {"sidecar.publicPortEnv", "the env var that tells the sidecar that port"},
      {"sidecar.publicListenerImages", "sidecar images serving :9100 (>=VERSION, a name, a reference, or *: any)"},
      {"nodeLabel", "the label NetworkPolicies select SeiNode pods on"},
      {"network", "who may reach the two ports (proxy-port-reach, public-port-reach)"},
      {"network.controllerNamespace", "the proxy port: the controller's pods..."},
      {"network.controllerPodLabels", "...carrying these labels"},
      {"network.proxyClients", "...and these task API clients (no namespace: the SeiNode's own)"},
      {"network.monitoringNamespaces", "the public port: any pod of these namespaces..."},
      {"network.nodeCIDRs", "...and the nodes (kubelet probes)"},
      {"scope.ownerKind", "owner kind that brings workloads and Services into scope"},
      {"scope.kinds", "the kinds judged at all"},
      {"scope.bootstrapLabels", "labels of bootstrap pods and Services: no public port needed"},
      {"rules", "each rule's action (seiguard rules)"},
      {"ratchet", "on UPDATE, only warn what the old object already had (true | false)"},
      {"workloadControllers", "users whose Pods, made from an admitted template, are only warned"},
      {"remediate", "also rewrite proxy-port probes and drop --ignore-paths"},
      {"exemptNamespaces", "namespaces never judged"},
  };
  auto it = kComments.find(path);
  return it == kComments.end() ? std::string_view() : it->second;
}

// The policy as YAML, each field with a comment saying what it is, each rule
// with the actions it accepts.
std::string AnnotatedYaml(const Policy& policy) {
  constexpr size_t kCommentColumn = 40;
  std::string yaml = ToYaml(PolicyToJson(policy)), out, section;
  size_t start = 0;
  while (start < yaml.size()) {
    size_t end = yaml.find('\n', start);
    std::string line = yaml.substr(start, end - start);
    start = end == std::string::npos ? yaml.size() : end + 1;
    size_t colon = line.find(':');
    std::string comment;
    if (colon != std::string::npos && line[0] != ' ' && line[0] != '-') {
      section = line.substr(0, colon);
      comment = FieldComment(section);
    } else if (colon != std::string::npos && line.rfind("  ", 0) == 0 && line[2] != ' ' && line[2] != '-') {
      std::string key = line.substr(2, colon - 2);
      comment = FieldComment(section + "." + key);
      if (section == "rules") {
        if (std::optional<RuleId> id = RuleFromName(key)) {
          comment.clear();
          for (std::string_view a : AllowedActions(Rule(*id))) comment += (comment.empty() ? "" : " | ") + std::string(a);
        }
      }
    }
    if (!comment.empty()) {
      line.resize(std::max(line.size() + 1, kCommentColumn), ' ');
      line += "# " + comment;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

Runner SetupRules(CLI::App& app) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand(
      "rules",
      "List every rule with its default action: a line each (text), the full catalog\n"
      "(json: name, default action, actions, summary, description, fix), or the\n"
      "README's rule table (markdown).");
  cmd->add_option("-o,--output", *format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  return [cmd, format] {
    if (!cmd->parsed()) return -1;
    if (*format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const RuleInfo& r : Rules()) {
        out.push_back({{"name", r.name},
                       {"defaultAction", ActionName(r.default_action)},
                       {"actions", AllowedActions(r)},
                       {"summary", r.summary},
                       {"description", r.description},
                       {"help", r.fix},
                       {"fix", r.fix}});
      }
      std::cout << out.dump(2) << "\n";
      return kExitOk;
    }
    if (*format == "markdown") {
      PrintMarkdown();
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
  struct Options {
    std::string file, format = "json", all_rules;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "policy",
      "Print the effective policy: the embedded defaults, or a policy file merged\n"
      "over them (validating the file; exit 2 with every problem listed). As YAML,\n"
      "each field carries a comment saying what it is.");
  cmd->add_option("--policy-file", opts->file, "policy file (YAML or JSON)")->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", opts->format, "json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}))
      ->capture_default_str();
  cmd->add_option("--all-rules", opts->all_rules,
                  "set every rule to this action (warn: an audit rollout's policy)")
      ->check(CLI::IsMember({"deny", "warn", "off"}));
  return [cmd, opts] {
    if (!cmd->parsed()) return -1;
    StatusOr<Policy> policy = LoadPolicyFile(opts->file);
    if (!policy.ok()) {
      std::cerr << "seiguard policy: " << policy.status().message() << "\n";
      return kExitUsage;
    }
    if (std::optional<Action> all = ActionFromName(opts->all_rules)) {
      for (Action& a : policy->actions) a = *all;
    }
    if (opts->format == "yaml") {
      std::cout << AnnotatedYaml(*policy);
    } else {
      std::cout << PolicyToJson(*policy).dump(2) << "\n";
    }
    return kExitOk;
  };
}

}  // namespace seiguard
