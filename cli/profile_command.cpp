// `aster profile list|create|use|show|delete`: operator profiles in ~/.aster/config.toml, as
// aster-cli 0.1.2 has them (aster-rpc@0972ac9:cli/aster_cli/profile.py). A profile names a
// deployment mesh and holds its root public key; this tool keeps no keyring, so the private
// key is wherever `aster keygen root --out` put it.
#include <fmt/core.h>

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "operator_config.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

Status no_such_profile(const std::string& name) {
  return Status(StatusCode::kNotFound, "profile '" + name + "' does not exist.");
}

// How Python's str() shows a TOML value in `profile show`.
std::string python_str(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  return value.dump();
}

Status run_list() {
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  const auto names = config.profile_names();
  if (names.empty()) {
    fmt::print("No profiles configured. Run: aster profile create <name>\n");
    return Status::ok();
  }
  for (const auto& name : names) {
    const auto& profile = config.profile(name);
    std::string pubkey = profile.contains("root_pubkey") && profile["root_pubkey"].is_string()
                             ? profile["root_pubkey"].get<std::string>()
                             : "<no root key>";
    fmt::print("  {}{}  root_pubkey={}...\n", escape_for_terminal(name),
               name == config.active_profile() ? " *" : "",
               escape_for_terminal(pubkey.substr(0, 16)));
  }
  return Status::ok();
}

Status run_create(const std::string& name) {
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  if (config.has_profile(name)) {
    return Status(StatusCode::kAlreadyExists, "profile '" + name + "' already exists.");
  }
  config.profile(name);
  if (config.profile_names().size() == 1) config.set_active_profile(name);
  ASTER_RETURN_IF_ERROR(config.save());
  fmt::print("Created profile '{}'.\n", escape_for_terminal(name));
  if (config.active_profile() == name) fmt::print("  (set as active profile)\n");
  return Status::ok();
}

Status run_use(const std::string& name) {
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  if (!config.has_profile(name)) {
    std::string available;
    for (const auto& n : config.profile_names()) available += (available.empty() ? "" : ", ") + n;
    return Status(StatusCode::kNotFound, "profile '" + name + "' does not exist. Available: " +
                                             (available.empty() ? "(none)" : available));
  }
  config.set_active_profile(name);
  ASTER_RETURN_IF_ERROR(config.save());
  fmt::print("Active profile set to '{}'.\n", escape_for_terminal(name));
  return Status::ok();
}

Status run_show(const std::string& requested) {
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  const std::string name = requested.empty() ? config.active_profile() : requested;
  if (!config.has_profile(name)) return no_such_profile(name);
  const auto& profile = config.profile(name);
  fmt::print("Profile: {}{}\n", escape_for_terminal(name),
             name == config.active_profile() ? " (active)" : "");
  fmt::print("  root_pubkey: {}\n",
             profile.contains("root_pubkey") ? escape_for_terminal(python_str(profile["root_pubkey"]))
                                             : "<not set>");
  fmt::print("  root_privkey: <keyring not available>\n");
  for (const auto& [key, value] : profile.items()) {
    if (key == "root_pubkey") continue;
    fmt::print("  {}: {}\n", escape_for_terminal(key), escape_for_terminal(python_str(value)));
  }
  return Status::ok();
}

Status run_delete(const std::string& name, bool yes) {
  ASTER_ASSIGN_OR_RETURN(auto config, OperatorConfig::load());
  if (!config.has_profile(name)) return no_such_profile(name);
  if (!yes) {
    fmt::print("Delete profile '{}'? [y/N] ", escape_for_terminal(name));
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto first = answer.find_first_not_of(" \t\r");
    answer = first == std::string::npos ? "" : answer.substr(first, answer.find_last_not_of(" \t\r") - first + 1);
    if (answer != "y" && answer != "yes") {
      fmt::print("Cancelled.\n");
      return Status::ok();
    }
  }
  config.erase_profile(name);
  if (config.active_profile() == name) {
    const auto rest = config.profile_names();
    config.set_active_profile(rest.empty() ? "default" : rest.front());
  }
  ASTER_RETURN_IF_ERROR(config.save());
  fmt::print("Deleted profile '{}'.\n", escape_for_terminal(name));
  return Status::ok();
}

}  // namespace

void add_profile_commands(CLI::App& app, CommandContext& context) {
  auto* profile = app.add_subcommand("profile", "manage operator profiles (~/.aster/config.toml)");
  auto name = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);

  profile->add_subcommand("list", "list profiles")->callback([&context] {
    context.finish(run_list());
  });
  auto* create = profile->add_subcommand("create", "create a new profile");
  create->add_option("name", *name, "profile name")->required();
  create->callback([name, &context] { context.finish(run_create(*name)); });
  auto* use = profile->add_subcommand("use", "set the active profile");
  use->add_option("name", *name, "profile name")->required();
  use->callback([name, &context] { context.finish(run_use(*name)); });
  auto* show = profile->add_subcommand("show", "show profile details");
  show->add_option("name", *name, "profile name (default: active)");
  show->callback([name, &context] { context.finish(run_show(*name)); });
  auto* remove = profile->add_subcommand("delete", "delete a profile");
  remove->add_option("name", *name, "profile name")->required();
  remove->add_flag("-y,--yes", *yes, "skip confirmation");
  remove->callback([name, yes, &context] { context.finish(run_delete(*name, *yes)); });
}

}  // namespace aster::cli
