// seiguard check: the same rules over manifests, for CI and for auditing a
// live cluster (kubectl get pods -A -o yaml | seiguard check -).
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "webhook/checker.h"
#include "webhook/commands.h"
#include "webhook/policy_file.h"
#include "webhook/report.h"

#ifndef SEIGUARD_VERSION
#define SEIGUARD_VERSION "dev"
#endif

namespace seiguard {
namespace {

struct CheckOptions {
  std::vector<std::string> paths;
  std::string output = "text";
  std::string policy_file;
  bool warnings_as_errors = false;
  bool fix = false;
  bool reach = false;
  std::vector<std::string> live;
};

int RunCheck(const CheckOptions& opt) {
  StatusOr<Policy> policy = LoadPolicyFile(opt.policy_file);
  if (!policy.ok()) {
    std::cerr << "seiguard check: " << policy.status().message() << "\n";
    return kExitUsage;
  }
  ManifestSet manifests = ReadManifests(opt.paths);
  std::optional<ManifestSet> live;
  if (!opt.live.empty()) {
    bool stdin_twice = std::find(opt.paths.begin(), opt.paths.end(), "-") != opt.paths.end() &&
                       std::find(opt.live.begin(), opt.live.end(), "-") != opt.live.end();
    if (stdin_twice) {
      std::cerr << "seiguard check: stdin (-) can be the input or --live, not both\n";
      return kExitUsage;
    }
    live = ReadManifests(opt.live);
  }
  const ManifestSet* live_set = live ? &*live : nullptr;
  if (opt.reach) {
    for (const ManifestError& e : manifests.errors) {
      std::cerr << e.file << (e.line ? ":" + std::to_string(e.line) + ":" + std::to_string(e.column) : "")
                << ": error: " << e.message << "\n";
    }
    std::cout << ReachTable(manifests, *policy);
    return manifests.errors.empty() ? kExitOk : kExitUsage;
  }
  if (opt.fix) {
    // Half a stream is worse than none: with a document unreadable, nothing
    // is printed (a redirect must not replace a file with part of it).
    if (!manifests.errors.empty()) {
      CheckReport report = Check(manifests, *policy);
      std::cerr << TextReport(report) << "seiguard check: --fix printed nothing: fix the errors above first\n";
      return kExitUsage;
    }
    std::vector<std::string> assumed;
    std::string text = FixedYaml(manifests, *policy, &assumed);
    std::cout << text;
    // What the fix could not resolve (conflicts, gRPC probes), judged again
    // on the fixed documents.
    ManifestSet fixed;
    fixed.files = manifests.files;
    fixed.errors = manifests.errors;
    ParseManifestText("<fixed>", text, &fixed);
    // Judged as remediation asked for, so that what it left alone (a sidecar
    // without the public listener) says which sidecar to roll out first.
    Policy remediating = *policy;
    remediating.remediate = true;
    CheckReport after = Check(fixed, remediating, live_set);
    for (const std::string& a : assumed) after.notes.push_back("--fix rewrote " + a);
    std::cerr << TextReport(after);
    if (!after.errors.empty()) return kExitUsage;
    bool failing = after.Count(Severity::kDeny) > 0 || (opt.warnings_as_errors && after.Count(Severity::kWarn) > 0);
    return failing ? kExitFindings : kExitOk;
  }
  CheckReport report = Check(manifests, *policy, live_set);
  if (opt.output == "json") {
    std::cout << JsonReport(report);
  } else if (opt.output == "junit") {
    std::cout << JunitReport(report);
  } else if (opt.output == "sarif") {
    std::cout << SarifReport(report, SEIGUARD_VERSION);
  } else {
    std::cout << TextReport(report);
  }
  std::cout.flush();
  if (!report.errors.empty()) return kExitUsage;
  bool failing = report.Count(Severity::kDeny) > 0 ||
                 (opt.warnings_as_errors && report.Count(Severity::kWarn) > 0);
  return failing ? kExitFindings : kExitOk;
}

}  // namespace

Runner SetupCheck(CLI::App& app) {
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Check manifests with the webhooks' rules, as the API server admits a CREATE of each object\n"
      "(a Pod: /mutate, then /validate on the patched pod; other kinds: /validate).\n"
      "PATH: files, directories (recursive: *.yaml, *.yml, *.json) or - for stdin. YAML\n"
      "streams, kind: List (kubectl get -o yaml|json) and JSON are read as kubectl\n"
      "reads them (YAML 1.1: yes is true, 0755 is 493, merge keys apply); seiguard read\n"
      "prints that JSON.\n"
      "Exit: 0 no denying finding, 1 a denying finding (or a warning with\n"
      "--warnings-as-errors), 2 unusable input or usage.");
  cmd->add_option("paths", opt->paths, "files, directories, or - for stdin")->required();
  cmd->add_option("-o,--output", opt->output, "text, json, junit or sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}))
      ->capture_default_str();
  cmd->add_option("--policy-file", opt->policy_file, "policy file (YAML or JSON); default: the embedded policy");
  cmd->add_flag("--warnings-as-errors", opt->warnings_as_errors, "exit 1 on warnings too");
  cmd->add_flag("--fix", opt->fix,
                "print the documents with injections and remediation applied (YAML) on stdout;\n"
                "what remains is reported on stderr");
  cmd->add_option("--live", opt->live,
                  "the running objects (kubectl get statefulsets,pods -A -o yaml > live.yaml): an input object "
                  "with the kind, namespace (default when none) and name of a live one is judged as an UPDATE "
                  "of it, so what it already had is only warned (ratcheting)");
  cmd->add_flag("--reach", opt->reach,
                "print, for each SeiNode pod or template, who reaches the proxy and the public\n"
                "port through the input's NetworkPolicies (a table; exit 0 unless the input is\n"
                "unusable)")
      ->excludes("--fix");
  return [cmd, opt] { return cmd->parsed() ? RunCheck(*opt) : -1; };
}

}  // namespace seiguard
