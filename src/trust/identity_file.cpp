#include "aster/trust/identity_file.hpp"

#include <toml++/toml.h>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"

namespace aster::trust {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// A TOML basic string: `"` and `\` escaped, control characters as escapes (TOML 1.0 §String).
std::string toml_string(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out.push_back(kDigits[byte >> 4]);
          out.push_back(kDigits[byte & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

// A key as written in a table header: bare when TOML allows it, quoted otherwise.
std::string toml_key(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    bare = bare && ok;
  }
  return bare ? std::string(key) : toml_string(key);
}

Result<std::optional<std::string>> string_field(const toml::table& table, std::string_view key,
                                                std::string_view where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<std::string>();
  auto value = node->value<std::string>();
  if (!node->is_string() || !value) {
    return invalid(std::string(where) + "." + std::string(key) + " must be a string");
  }
  return std::optional<std::string>(*value);
}

Result<IdentityPeer> peer_from_toml(const toml::table& table, size_t index) {
  const std::string where = "peers[" + std::to_string(index) + "]";
  IdentityPeer peer;
  ASTER_ASSIGN_OR_RETURN(auto name, string_field(table, "name", where));
  ASTER_ASSIGN_OR_RETURN(auto role, string_field(table, "role", where));
  ASTER_ASSIGN_OR_RETURN(auto type, string_field(table, "type", where));
  ASTER_ASSIGN_OR_RETURN(auto root, string_field(table, "root_pubkey", where));
  ASTER_ASSIGN_OR_RETURN(peer.endpoint_id, string_field(table, "endpoint_id", where));
  ASTER_ASSIGN_OR_RETURN(peer.nonce, string_field(table, "nonce", where));
  ASTER_ASSIGN_OR_RETURN(auto signature, string_field(table, "signature", where));
  peer.name = name.value_or("");
  peer.role = role.value_or("");
  peer.type = type.value_or("");
  peer.root_pubkey = root.value_or("");
  peer.signature = signature.value_or("");
  if (const toml::node* expires = table.get("expires_at")) {
    auto value = expires->value<int64_t>();
    if (!expires->is_integer() || !value || *value < 0) {
      return invalid(where + ".expires_at must be a non-negative integer");
    }
    peer.expires_at = static_cast<uint64_t>(*value);
  }
  if (const toml::node* attributes = table.get("attributes")) {
    const toml::table* attrs = attributes->as_table();
    if (attrs == nullptr) return invalid(where + ".attributes must be a table");
    for (const auto& [key, value] : *attrs) {
      auto text = value.value<std::string>();
      if (!value.is_string() || !text) {
        return invalid(where + ".attributes." + std::string(key.str()) + " must be a string");
      }
      peer.attributes[std::string(key.str())] = *text;
    }
  }
  return peer;
}

// The credential exactly as the peer entry says (runtime.py `_load_enrollment_credential`).
Result<ConsumerCredential> credential_as_written(const IdentityPeer& peer) {
  nlohmann::json object = nlohmann::json::object();
  object["type"] = peer.type.empty() ? "policy" : peer.type;
  object["root_pubkey"] = peer.root_pubkey;
  if (!peer.expires_at) return invalid("identity peer \"" + peer.name + "\" has no expires_at");
  object["expires_at"] = *peer.expires_at;
  object["attributes"] = nlohmann::json::object();
  for (const auto& [k, v] : peer.attributes) object["attributes"][k] = v;
  if (peer.endpoint_id) object["endpoint_id"] = *peer.endpoint_id;
  if (peer.nonce) object["nonce"] = *peer.nonce;
  object["signature"] = peer.signature;
  return consumer_credential_from_json(object);
}

}  // namespace

Result<IdentityFile> IdentityFile::parse(std::string_view toml_text) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return invalid(std::string("identity file is not valid TOML: ") +
                   std::string(e.description()) + " (line " +
                   std::to_string(e.source().begin.line) + ")");
  }
  IdentityFile file;
  if (const toml::table* node = doc["node"].as_table()) {
    ASTER_ASSIGN_OR_RETURN(auto secret, string_field(*node, "secret_key", "node"));
    ASTER_ASSIGN_OR_RETURN(auto endpoint_id, string_field(*node, "endpoint_id", "node"));
    if (secret && !secret->empty()) {
      auto seed = SecretSeed::from_base64(*secret);
      if (!seed) return invalid("node.secret_key: " + seed.status().message());
      file.secret_key = *seed;
    }
    file.endpoint_id = endpoint_id.value_or("");
    if (file.endpoint_id.empty() && file.secret_key) {
      file.endpoint_id = to_hex(file.secret_key->public_key());
    }
  }
  if (const toml::node* peers = doc.get("peers")) {
    const toml::array* list = peers->as_array();
    if (list == nullptr) return invalid("peers must be an array of tables");
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::table* table = list->get(i)->as_table();
      if (table == nullptr) return invalid("peers[" + std::to_string(i) + "] must be a table");
      ASTER_ASSIGN_OR_RETURN(auto peer, peer_from_toml(*table, i));
      file.peers.push_back(std::move(peer));
    }
  }
  if (const toml::table* services = doc["published_services"].as_table()) {
    for (const auto& [name, entry] : *services) {
      const toml::table* table = entry.as_table();
      if (table == nullptr) continue;  // 0.1.2 skips these too
      auto& fields = file.published_services[std::string(name.str())];
      for (const auto& [key, value] : *table) {
        if (auto text = value.value<std::string>(); value.is_string() && text) {
          fields[std::string(key.str())] = *text;
        }
      }
    }
  }
  return file;
}

std::string IdentityFile::to_toml() const {
  std::string out = "# .aster-identity -- generated by `aster enroll node`\n\n[node]\n";
  if (secret_key) out += "secret_key = " + toml_string(secret_key->to_base64()) + "\n";
  if (!endpoint_id.empty()) out += "endpoint_id = " + toml_string(endpoint_id) + "\n";
  out += "\n";
  for (const auto& peer : peers) {
    out += "[[peers]]\n";
    out += "name = " + toml_string(peer.name) + "\n";
    out += "role = " + toml_string(peer.role) + "\n";
    out += "type = " + toml_string(peer.type) + "\n";
    out += "root_pubkey = " + toml_string(peer.root_pubkey) + "\n";
    if (peer.endpoint_id) out += "endpoint_id = " + toml_string(*peer.endpoint_id) + "\n";
    if (peer.expires_at) out += "expires_at = " + std::to_string(*peer.expires_at) + "\n";
    if (peer.nonce) out += "nonce = " + toml_string(*peer.nonce) + "\n";
    out += "signature = " + toml_string(peer.signature) + "\n";
    if (!peer.attributes.empty()) {
      out += "attributes = {";
      bool first = true;
      for (const auto& [key, value] : peer.attributes) {
        out += first ? " " : ", ";
        first = false;
        out += toml_string(key) + " = " + toml_string(value);
      }
      out += " }\n";
    }
    out += "\n";
  }
  for (const auto& [name, fields] : published_services) {
    out += "[published_services." + toml_key(name) + "]\n";
    for (const char* key : {"producer_token", "contract_id", "service_name"}) {
      if (auto it = fields.find(key); it != fields.end()) {
        out += std::string(key) + " = " + toml_string(it->second) + "\n";
      }
    }
    out += "\n";
  }
  return out;
}

void IdentityFile::add_peer(IdentityPeer peer) {
  if (!peer.name.empty()) {
    std::erase_if(peers, [&](const IdentityPeer& p) { return p.name == peer.name; });
  }
  peers.push_back(std::move(peer));
}

const IdentityPeer* IdentityFile::peer_for_role(std::string_view role) const {
  for (const auto& peer : peers) {
    if (peer.role == role) return &peer;
  }
  return peers.empty() ? nullptr : &peers.front();
}

Result<ConsumerCredential> consumer_credential_from_peer(const IdentityPeer& peer) {
  ASTER_ASSIGN_OR_RETURN(auto credential, credential_as_written(peer));
  if (verify(credential, credential.root_pubkey)) return credential;
  // 0.1.2's writer dropped aster.role == role and aster.name == name from what it signed.
  const bool can_add_role = !peer.role.empty() && !credential.attributes.contains(std::string(kAttrRole));
  const bool can_add_name = !peer.name.empty() && !credential.attributes.contains(std::string(kAttrName));
  for (int variant = 1; variant <= 3; ++variant) {
    const bool add_role = variant & 1, add_name = variant & 2;
    if ((add_role && !can_add_role) || (add_name && !can_add_name)) continue;
    ConsumerCredential repaired = credential;
    if (add_role) repaired.attributes[std::string(kAttrRole)] = peer.role;
    if (add_name) repaired.attributes[std::string(kAttrName)] = peer.name;
    if (verify(repaired, repaired.root_pubkey)) return repaired;
  }
  return credential;
}

Result<ConsumerCredential> load_consumer_credential(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return invalid("credential file is not valid JSON");
    return consumer_credential_from_json(doc);
  }
  ASTER_ASSIGN_OR_RETURN(auto identity, IdentityFile::parse(text));
  const IdentityPeer* peer = identity.peer_for_role("consumer");
  if (peer == nullptr) return invalid("identity file has no [[peers]] entry");
  return consumer_credential_from_peer(*peer);
}

}  // namespace aster::trust
