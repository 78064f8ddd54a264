// The subcommands. Each file registers its options on the CLI11 app and runs
// when chosen; main.cc only assembles them and maps failures to exit codes.
#ifndef SEIGUARD_WEBHOOK_COMMANDS_H_
#define SEIGUARD_WEBHOOK_COMMANDS_H_

#include <functional>

namespace CLI {
class App;
}

namespace seiguard {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  // check: a denying finding
inline constexpr int kExitUsage = 2;     // unusable input or usage

// Registers a subcommand; returns the function that runs it.
using Runner = std::function<int()>;
Runner SetupReview(CLI::App& app);
Runner SetupRules(CLI::App& app);
Runner SetupPolicy(CLI::App& app);
Runner SetupServe(CLI::App& app);
Runner SetupCheck(CLI::App& app);
Runner SetupRead(CLI::App& app);
Runner SetupVap(CLI::App& app);
Runner SetupWebhooks(CLI::App& app);
Runner SetupInTree(CLI::App& app);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_COMMANDS_H_
