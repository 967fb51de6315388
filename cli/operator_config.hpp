// The operator's files under ~/.aster as aster-cli 0.1.2 keeps them
// (aster-rpc@0972ac9:cli/aster_cli/profile.py `_load_config`/`_save_config`): config.toml with
// `active_profile`, `[aster_service]` and one `[profiles.<name>]` table per deployment mesh
// (root_pubkey, handle, signer, …), root.key / root.pub, node.key.
//
// Read with toml++, written in 0.1.2's layout (the same defaults filled in) so either tool can
// read what the other wrote. Unlike 0.1.2 we escape strings as TOML requires and keep other
// top-level tables (0.1.2 drops e.g. `[shell]` on every save); toml++ tables are sorted, so
// keys come back in sorted order rather than file order.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aster/status.hpp"
#include "aster/trust/key_files.hpp"

namespace aster::cli {

// $HOME/.aster (0.1.2: os.path.expanduser("~/.aster")).
std::filesystem::path aster_home();
// `~/…` expanded (trust/key_files.hpp), as 0.1.2's os.path.expanduser does.
using trust::expand_user;

class OperatorConfig {
 public:
  // ~/.aster/config.toml, or an empty config (active profile "default") when it is missing.
  static Result<OperatorConfig> load();
  static Result<OperatorConfig> parse(std::string_view toml_text);
  // Written atomically with mode 0600.
  Status save() const;
  std::string to_toml() const;

  std::string active_profile() const;
  void set_active_profile(const std::string& name);
  std::vector<std::string> profile_names() const;  // sorted
  bool has_profile(const std::string& name) const;
  // The profile's table, created (with 0.1.2's default fields) when missing.
  nlohmann::ordered_json& profile(const std::string& name);
  void erase_profile(const std::string& name);

 private:
  void normalize();
  nlohmann::ordered_json doc_ = nlohmann::ordered_json::object();
};

// The profile a command works on: the flag, else $ASTER_PROFILE, else the active profile.
std::string resolve_profile_name(const std::optional<std::string>& flag,
                                 const OperatorConfig& config);

// `[profile: NAME]`: the line aster-cli 0.1.2 prints on stderr before every command but
// `profile` when config.toml holds more than one profile (aster-rpc@0972ac9:cli/aster_cli/
// profile.py `print_active_profile_hint`, called from contract.py `main` once the command line
// has parsed). NAME is the file's active_profile — not $ASTER_PROFILE or a --profile flag, as in
// 0.1.2. nullopt with one profile or none.
std::optional<std::string> active_profile_hint(const OperatorConfig& config);

}  // namespace aster::cli
