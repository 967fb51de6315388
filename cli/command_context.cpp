#include <fmt/core.h>

#include "commands.hpp"
#include "terminal_text.hpp"

namespace aster::cli {

void print_error(std::string_view message) {
  fmt::print(stderr, "error: {}\n", escape_for_terminal(message));
}

void CommandContext::finish(const Status& status) {
  if (status.is_ok()) {
    exit_code = kExitOk;
    return;
  }
  print_error(status.message());
  exit_code = kExitFailure;
}

void CommandContext::debug(std::string_view line) const {
  if (verbose) fmt::print(stderr, "debug: {}\n", escape_for_terminal(line));
}

}  // namespace aster::cli
