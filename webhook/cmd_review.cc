// seiguard review: one AdmissionReview on stdin, the server's answer on stdout.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "webhook/admission.h"
#include "webhook/commands.h"
#include "webhook/policy_file.h"

namespace seiguard {
namespace {

struct ReviewOptions {
  bool mutate = false;
  std::string policy_file;
  size_t max_request_bytes = 8u << 20;
};

int RunReview(const ReviewOptions& opt) {
  StatusOr<Policy> policy = LoadPolicyFile(opt.policy_file);
  if (!policy.ok()) {
    std::cerr << "seiguard review: " << policy.status().message() << "\n";
    return kExitUsage;
  }
  StatusOr<std::string> body = ReadStdinLimited(opt.max_request_bytes);
  if (!body.ok()) {
    const std::string& why = body.status().message();
    bool too_large = why.rfind("larger than", 0) == 0;
    std::cerr << "seiguard review: " << (too_large ? "input " + why + " (--max-request-bytes)" : why) << "\n";
    return kExitUsage;
  }
  AdmissionHandler handler;
  StatusOr<ReviewResult> result =
      handler.Review(*body, opt.mutate ? Endpoint::kMutate : Endpoint::kValidate, *policy);
  if (!result.ok()) {
    std::cerr << "seiguard review: " << result.status().message() << "\n";
    return kExitUsage;
  }
  std::fwrite(result->body.data(), 1, result->body.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitUsage;
}

}  // namespace

Runner SetupReview(CLI::App& app) {
  auto opt = std::make_shared<ReviewOptions>();
  CLI::App* cmd = app.add_subcommand(
      "review",
      "Answer one AdmissionReview read from stdin exactly as the server would.\n"
      "Writes the AdmissionReview response to stdout (exit 0), or explains on stderr\n"
      "why the input is not an AdmissionReview (exit 2).");
  cmd->add_flag("--mutate", opt->mutate, "answer as /mutate (default: as /validate)");
  cmd->add_option("--policy-file", opt->policy_file,
                  "policy file (YAML or JSON); default: the embedded policy")
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-request-bytes", opt->max_request_bytes,
                  "refuse input larger than this (as the server does)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  return [cmd, opt] { return cmd->parsed() ? RunReview(*opt) : -1; };
}

}  // namespace seiguard
