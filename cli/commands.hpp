// Command groups of the `aster` tool. Each add_*_commands registers its subcommands on the
// root app; the callbacks end through CommandContext, so every command prints errors and
// picks exit codes the same way (docs/cli.md "Exit codes").
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "aster/status.hpp"

namespace aster::cli {

// argparse's convention, which aster-cli 0.1.2 follows.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (bad input, peer, network)
inline constexpr int kExitUsage = 2;    // the command line is wrong; nothing was attempted

// Prints `error: <message>` as one line on stderr, control characters escaped.
void print_error(std::string_view message);

// Thrown from a command callback when the command line cannot be used (no address given, a
// bad --timeout): main() reports it like CLI11's own parse errors, exit 2.
class UsageError : public CLI::ParseError {
 public:
  explicit UsageError(std::string message)
      : CLI::ParseError("UsageError", std::move(message), kExitUsage) {}
};

struct CommandContext {
  int exit_code = kExitOk;
  bool verbose = false;  // -v/--verbose: debug lines on stderr

  // Ends a command: OK → exit 0; otherwise print_error(message) and exit 1.
  void finish(const Status& status);
  // `debug: <line>` on stderr when --verbose (escaped like errors).
  void debug(std::string_view line) const;
};

// `aster service ls|describe` (cli/service_command.cpp).
void add_service_commands(CLI::App& app, CommandContext& context);

// `aster blob ls|cat|save` (cli/blob_command.cpp).
void add_blob_commands(CLI::App& app, CommandContext& context);

// `aster call ADDR Service.method [JSON]` (cli/call_command.cpp).
void add_call_command(CLI::App& app, CommandContext& context);

// `aster shell [PEER]` (cli/shell_command.cpp).
void add_shell_command(CLI::App& app, CommandContext& context);

// `aster fory decode|encode` (cli/fory_command.cpp).
void add_fory_commands(CLI::App& app, CommandContext& context);

// `aster keygen root|producer`, `aster trust keygen|sign` (cli/trust_command.cpp).
void add_trust_commands(CLI::App& app, CommandContext& context);

// `aster enroll node` (cli/enroll_command.cpp).
void add_enroll_commands(CLI::App& app, CommandContext& context);

// `aster profile list|create|use|show|delete` (cli/profile_command.cpp).
void add_profile_commands(CLI::App& app, CommandContext& context);

// `aster contract export|verify` (cli/contract_command.cpp).
void add_contract_commands(CLI::App& app, CommandContext& context);

}  // namespace aster::cli
