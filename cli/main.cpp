// `aster` — the native Aster command line tool (reference: aster-cli 0.1.2,
// aster-rpc@0972ac9:cli/aster_cli/contract.py `main`; our commands: docs/cli.md).
//
// Conventions every command gets from here (docs/cli.md "Exit codes"):
//   * `aster`, or a command group without its command → that group's help on stdout, exit 1
//     (0.1.2's argparse tree does exactly this);
//   * a command line that cannot be used → `error: … (see 'aster … --help')`, one line, exit 2;
//   * a command that runs and fails → `error: …`, one line, exit 1 (CommandContext::finish);
//   * text that reaches the terminal has its control characters escaped (terminal_text.hpp).
#include <fmt/core.h>

#include <cctype>
#include <exception>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "help_format.hpp"
#include "operator_config.hpp"
#include "terminal_text.hpp"

namespace {

using aster::cli::kExitFailure;
using aster::cli::kExitUsage;

// The deepest command the user named (`aster service ls` → ls).
const CLI::App* selected_command(const CLI::App& app) {
  const CLI::App* current = &app;
  while (!current->get_subcommands().empty()) current = current->get_subcommands().front();
  return current;
}

std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* parent = app->get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

// CLI11 starts its messages with a capital ("The following arguments were not expected");
// ours are lower case after "error:".
std::string lowercase_first(std::string text) {
  if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
      std::islower(static_cast<unsigned char>(text[1]))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// Groups (`aster`, `aster service`, `aster fory`) need not be given a command: parsing succeeds
// and main() prints the group's help, as 0.1.2 does.
void allow_bare_groups(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) allow_bare_groups(*sub);
  if (!app.get_subcommands({}).empty()) app.require_subcommand(0, 1);
}

// 0.1.2 prints `[profile: NAME]` on stderr after parsing and before running any command but
// `profile` (aster-rpc@0972ac9:cli/aster_cli/contract.py `main`); --help, --version and a bad
// command line exit before it. An unreadable config.toml prints nothing here (the commands that
// need it say why); 0.1.2 fails with a traceback.
void print_profile_hint(const CLI::App& app) {
  const auto commands = app.get_subcommands();
  if (commands.empty() || commands.front()->get_name() == "profile") return;
  auto config = aster::cli::OperatorConfig::load();
  if (!config) return;
  if (auto hint = aster::cli::active_profile_hint(*config)) {
    std::cerr << aster::cli::escape_for_terminal(*hint) << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Call and inspect Aster RPC services (native C++ tool)", "aster"};
  app.set_version_flag("--version", "aster (Aster C++) 0.1.0", "Print the version and exit");
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.fallthrough();  // -v works after the command too
  aster::cli::CommandContext ctx;
  app.add_flag("-v,--verbose", ctx.verbose, "Print debug messages on stderr (e.g. retries)");
  aster::cli::add_call_command(app, ctx);
  aster::cli::add_service_commands(app, ctx);
  aster::cli::add_blob_commands(app, ctx);
  aster::cli::add_shell_command(app, ctx);
  aster::cli::add_fory_commands(app, ctx);
  aster::cli::add_trust_commands(app, ctx);
  aster::cli::add_enroll_commands(app, ctx);
  aster::cli::add_profile_commands(app, ctx);
  aster::cli::add_contract_commands(app, ctx);
  app.footer(
      "Examples:\n"
      "  aster call aster18Q2DCaQe… HelloService.say_hello '{\"name\": \"World\"}'\n"
      "  aster service ls aster18Q2DCaQe…\n"
      "  aster service describe aster18Q2DCaQe… HelloService\n"
      "  aster blob cat aster18Q2DCaQe… HelloService.v1/manifest.json\n"
      "  aster shell aster18Q2DCaQe…      (or: aster shell --demo)\n"
      "  aster fory decode --manifest HelloService.manifest.json --type HelloRequest 02ff1d…\n"
      "  aster service ls --help\n"
      "\n"
      "Environment:\n"
      "  ASTER_ENDPOINT_ADDR  Producer address for commands that take ADDR, when it is not given\n"
      "  ASTER_RELAY_MODE     disabled | default | staging | <relay URL> (default: default)\n"
      "  ASTER_RELAY_CA       PEM or DER file: a CA to trust for a self-hosted TLS relay\n"
      "  NO_COLOR             Set to print tables without bold headers\n"
      "\n"
      "Exit status: 0 success, 1 failure, 2 usage error.");
  allow_bare_groups(app);
  // Runs once the whole line has parsed, before the command's own callback.
  app.parse_complete_callback([&app] { print_profile_hint(app); });
  aster::cli::apply_help_style(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const CLI::App* command = selected_command(app);
    aster::cli::print_error(lowercase_first(e.what()) + " (see '" + command_path(command) +
                            " --help')");
    return kExitUsage;
  } catch (const std::exception& e) {  // a bug, not a user error: still one line, exit 1
    aster::cli::print_error(std::string("internal error: ") + e.what());
    return kExitFailure;
  }
  const CLI::App* command = selected_command(app);
  if (!command->get_subcommands({}).empty()) {
    const CLI::App* parent = command->get_parent();
    std::cout << command->help(parent != nullptr ? command_path(parent) : "");
    return kExitFailure;
  }
  return ctx.exit_code;
}
