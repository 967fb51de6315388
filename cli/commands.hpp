// Command groups of the `aster` tool. Each add_*_commands registers its subcommands on the
// root app; the callbacks set the process exit code through CommandContext.
#pragma once

#include <CLI/CLI.hpp>

namespace aster::cli {

struct CommandContext {
  int exit_code = 0;
};

// `aster service ls` (cli/service_command.cpp).
void add_service_commands(CLI::App& app, CommandContext& context);

// `aster fory decode|encode` (cli/fory_command.cpp).
void add_fory_commands(CLI::App& app, CommandContext& context);

}  // namespace aster::cli
