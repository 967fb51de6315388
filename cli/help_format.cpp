#include "help_format.hpp"

#include <cctype>
#include <memory>

namespace aster::cli {
namespace {

// CLI11 names a value by its C++ type (TEXT, FLOAT:POSITIVE); a user reads what it is. An
// explicit type_name ("SECONDS") stays; a string is named after its option, as argparse's
// metavar is (`--manifest MANIFEST`).
std::string plain_placeholder(const CLI::Option* option) {
  std::string type_name = option->get_type_name();
  type_name = type_name.substr(0, type_name.find(':'));  // drop validator names (":POSITIVE")
  if (type_name == "FLOAT") return "NUMBER";
  if (type_name == "INT" || type_name == "UINT") return "INTEGER";
  if (type_name.empty()) return "";  // a flag
  if (type_name != "TEXT") return type_name;
  if (option->get_lnames().empty()) return "VALUE";
  std::string name = option->get_lnames().front();
  for (char& c : name) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// "decode/encode payloads" → "Decode/encode payloads"; a leading file name ("manifest.json
// of …") or identifier ("registry_namespace …") is left as written.
std::string capitalised(std::string text) {
  size_t word_end = 0;
  while (word_end < text.size() && std::islower(static_cast<unsigned char>(text[word_end]))) {
    ++word_end;
  }
  const bool identifier = word_end < text.size() &&
                          (text[word_end] == '.' || text[word_end] == '_' ||
                           std::isalnum(static_cast<unsigned char>(text[word_end])));
  if (word_end > 0 && !identifier) {
    text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  }
  return text;
}

}  // namespace

HelpFormatter::HelpFormatter() {
  label("SUBCOMMAND", "COMMAND");
  label("SUBCOMMANDS", "COMMANDS");
  column_width(28);
}

std::string HelpFormatter::make_option_opts(const CLI::Option* option) const {
  // Positionals are named by their placeholder already (`ADDR`); flags take no value.
  if (option->get_positional() || option->get_type_size() == 0) return "";
  const std::string placeholder = plain_placeholder(option);
  if (placeholder.empty()) return "";
  std::string out = " " + placeholder;
  if (option->get_expected_max() == CLI::detail::expected_max_vector_size) out += " ...";
  return out;
}

std::string HelpFormatter::make_option_desc(const CLI::Option* option) const {
  std::string out = option->get_description();
  if (option->get_required() && !option->get_positional()) out += " (required)";
  if (!option->get_default_str().empty()) out += " (default: " + option->get_default_str() + ")";
  return out;
}

void apply_help_style(CLI::App& app) {
  app.formatter(std::make_shared<HelpFormatter>());
  app.description(capitalised(app.get_description()));
  for (CLI::Option* option : app.get_options()) {
    option->description(capitalised(option->get_description()));
  }
  for (CLI::App* sub : app.get_subcommands({})) apply_help_style(*sub);
}

}  // namespace aster::cli
