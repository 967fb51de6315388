// Help in plain words: placeholders a user understands (`SECONDS`, not `FLOAT:POSITIVE`),
// "(default: 10)" and "(required)" in the description instead of CLI11's `=10 REQUIRED`, and
// one capitalisation style whoever wrote a command group.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace aster::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter();
  std::string make_option_opts(const CLI::Option* option) const override;
  std::string make_option_desc(const CLI::Option* option) const override;
};

// Gives `app` and all its subcommands the HelpFormatter, and starts every description (of a
// command or an option) with a capital letter, as CLI11's own `--help` line does.
void apply_help_style(CLI::App& app);

}  // namespace aster::cli
