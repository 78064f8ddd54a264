// seiguard: keeps SeiNode pods on the split-listener security posture.
// main only assembles the subcommands and is the one error boundary.
#include <exception>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "webhook/commands.h"

#ifndef SEIGUARD_VERSION
#define SEIGUARD_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace seiguard;
  CLI::App app{
      "seiguard - admission webhook and CI checker for SeiNode pods (split-listener posture)",
      "seiguard"};
  app.set_version_flag("--version", SEIGUARD_VERSION);
  app.require_subcommand(1);
  std::vector<Runner> runners = {SetupServe(app), SetupCheck(app), SetupRead(app), SetupReview(app),
                                 SetupRules(app), SetupPolicy(app), SetupVap(app),
                                 SetupWebhooks(app), SetupInTree(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    for (const Runner& run : runners) {
      int code = run();
      if (code >= 0) return code;
    }
  } catch (const std::exception& e) {
    std::cerr << "seiguard: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}
