// `aster` — the native Aster command line tool (reference: aster-cli 0.1.2, see
// ../shared/reference/cli-and-shell.md and docs/cli.md).
#include <fmt/core.h>

#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"aster — call and inspect Aster RPC services (native C++ tool)", "aster"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "aster (Aster C++) 0.1.0");
  aster::cli::CommandContext ctx;
  aster::cli::add_service_commands(app, ctx);
  aster::cli::add_fory_commands(app, ctx);
  if (argc < 2) {  // as aster-cli 0.1.2: no subcommand → help, exit 1
    std::cout << app.help();
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
