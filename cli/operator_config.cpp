#include "operator_config.hpp"

#include <cstdlib>
#include <sstream>

#include <toml++/toml.h>

#include "aster/trust/key_files.hpp"

namespace aster::cli {
namespace {

using nlohmann::ordered_json;

// profile.py DEFAULT_ASTER_SERVICE / DEFAULT_PROFILE_FIELDS, in their order.
const ordered_json& default_aster_service() {
  static const ordered_json value = {
      {"enabled", true}, {"node_id", ""}, {"relay", ""}, {"offline_banner", true}};
  return value;
}
const ordered_json& default_profile_fields() {
  static const ordered_json value = {{"handle", ""},          {"handle_status", "unregistered"},
                                     {"handle_claimed_at", ""}, {"email", ""},
                                     {"signer", "local"},     {"published_services", ""}};
  return value;
}

ordered_json from_toml(const toml::node& node) {
  if (auto* table = node.as_table()) {
    ordered_json object = ordered_json::object();
    for (const auto& [key, value] : *table) object[std::string(key.str())] = from_toml(value);
    return object;
  }
  if (auto* array = node.as_array()) {
    ordered_json list = ordered_json::array();
    for (const auto& item : *array) list.push_back(from_toml(item));
    return list;
  }
  if (auto v = node.value_exact<std::string>()) return *v;
  if (auto v = node.value_exact<bool>()) return *v;
  if (auto v = node.value_exact<int64_t>()) return *v;
  if (auto v = node.value_exact<double>()) return *v;
  std::ostringstream text;  // dates and times: kept as their TOML text
  if (auto* v = node.as_date()) text << *v;
  if (auto* v = node.as_time()) text << *v;
  if (auto* v = node.as_date_time()) text << *v;
  return text.str();
}

std::string toml_string(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\u00";
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string toml_key(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key) {
    bare = bare && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-');
  }
  return bare ? std::string(key) : toml_string(key);
}

// profile.py `_toml_value`, plus inline tables (0.1.2 would write a dict's Python repr).
std::string toml_value(const ordered_json& value) {
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) {
    std::string text = value.dump();
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    return text;
  }
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + toml_value(value[i]);
    return out + "]";
  }
  if (value.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : value.items()) {
      out += (first ? " " : ", ") + toml_key(k) + " = " + toml_value(v);
      first = false;
    }
    return out + (first ? "}" : " }");
  }
  if (value.is_string()) return toml_string(value.get_ref<const std::string&>());
  return "\"\"";
}

void append_table(std::string& out, const std::string& header, const ordered_json& table) {
  out += "[" + header + "]\n";
  for (const auto& [key, value] : table.items()) {
    out += toml_key(key) + " = " + toml_value(value) + "\n";
  }
  out += "\n";
}

}  // namespace

std::filesystem::path aster_home() { return trust::home_directory() / ".aster"; }

Result<OperatorConfig> OperatorConfig::parse(std::string_view toml_text) {
  OperatorConfig config;
  try {
    config.doc_ = from_toml(toml::parse(toml_text));
  } catch (const toml::parse_error& e) {
    return Status(StatusCode::kInvalidArgument,
                  std::string("~/.aster/config.toml is not valid TOML: ") +
                      std::string(e.description()) + " (line " +
                      std::to_string(e.source().begin.line) + ")");
  }
  config.normalize();
  return config;
}

Result<OperatorConfig> OperatorConfig::load() {
  auto text = trust::read_small_file(aster_home() / "config.toml");
  if (!text) {
    if (text.status().code() != StatusCode::kNotFound) return text.status();
    OperatorConfig config;
    config.normalize();
    return config;
  }
  return parse(*text);
}

void OperatorConfig::normalize() {
  if (!doc_.contains("active_profile") || !doc_["active_profile"].is_string()) {
    doc_["active_profile"] = "default";
  }
  if (!doc_.contains("profiles") || !doc_["profiles"].is_object()) {
    doc_["profiles"] = ordered_json::object();
  }
  for (auto& [name, table] : doc_["profiles"].items()) {
    if (!table.is_object()) table = ordered_json::object();
    for (const auto& [key, value] : default_profile_fields().items()) {
      if (!table.contains(key)) table[key] = value;
    }
  }
  if (!doc_.contains("aster_service") || !doc_["aster_service"].is_object()) {
    doc_["aster_service"] = ordered_json::object();
  }
  for (const auto& [key, value] : default_aster_service().items()) {
    if (!doc_["aster_service"].contains(key)) doc_["aster_service"][key] = value;
  }
}

std::string OperatorConfig::to_toml() const {
  // profile.py `_save_config`: defaults filled in after the keys a profile has, then
  // active_profile, [aster_service], [profiles.<name>]…
  OperatorConfig normalized = *this;
  normalized.normalize();
  const ordered_json& doc_ = normalized.doc_;
  std::string out = "active_profile = " + toml_value(doc_["active_profile"]) + "\n\n";
  append_table(out, "aster_service", doc_["aster_service"]);
  for (const auto& [name, table] : doc_["profiles"].items()) {
    append_table(out, "profiles." + toml_key(name), table);
  }
  // …then what 0.1.2 would drop: other top-level tables and keys.
  std::string loose;
  for (const auto& [key, value] : doc_.items()) {
    if (key == "active_profile" || key == "aster_service" || key == "profiles") continue;
    if (value.is_object()) {
      append_table(out, toml_key(key), value);
    } else {
      loose += toml_key(key) + " = " + toml_value(value) + "\n";
    }
  }
  if (!loose.empty()) out.insert(out.find("\n\n") + 1, loose);
  return out;
}

Status OperatorConfig::save() const {
  return trust::replace_private_file(aster_home() / "config.toml", to_toml());
}

std::string OperatorConfig::active_profile() const {
  return doc_["active_profile"].get<std::string>();
}

void OperatorConfig::set_active_profile(const std::string& name) { doc_["active_profile"] = name; }

std::vector<std::string> OperatorConfig::profile_names() const {
  std::vector<std::string> names;
  for (const auto& [name, table] : doc_["profiles"].items()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

bool OperatorConfig::has_profile(const std::string& name) const {
  return doc_["profiles"].contains(name);
}

ordered_json& OperatorConfig::profile(const std::string& name) {
  auto& profiles = doc_["profiles"];
  if (!profiles.contains(name)) profiles[name] = ordered_json::object();
  return profiles[name];
}

void OperatorConfig::erase_profile(const std::string& name) { doc_["profiles"].erase(name); }

std::string resolve_profile_name(const std::optional<std::string>& flag,
                                 const OperatorConfig& config) {
  if (flag && !flag->empty()) return *flag;
  if (const char* env = std::getenv("ASTER_PROFILE"); env != nullptr && *env != '\0') return env;
  return config.active_profile();
}

std::optional<std::string> active_profile_hint(const OperatorConfig& config) {
  if (config.profile_names().size() <= 1) return std::nullopt;
  return "[profile: " + config.active_profile() + "]";
}

}  // namespace aster::cli
