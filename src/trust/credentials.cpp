#include "aster/trust/credentials.hpp"

#include "aster/hex.hpp"

namespace aster::trust {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

void append(std::vector<uint8_t>& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

void append_u64_be(std::vector<uint8_t>& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

// One JSON string as Python's json.dumps(..., ensure_ascii=False) writes it.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
          out.push_back(kDigits[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

nlohmann::ordered_json attributes_json(const Attributes& attributes) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto& [key, value] : attributes) object[key] = value;
  return object;
}

nlohmann::ordered_json optional_string(const std::optional<std::string>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

Result<uint64_t> expires_from_json(const nlohmann::json& object) {
  auto it = object.find("expires_at");
  if (it == object.end()) return invalid("credential has no expires_at");
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) return invalid("credential expires_at is negative");
  return invalid("credential expires_at must be an integer");
}

// A string field, or nullopt when missing or null.
Result<std::optional<std::string>> optional_string_field(const nlohmann::json& object,
                                                         std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return invalid("credential " + std::string(key) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<PublicKey> root_from_json(const nlohmann::json& object) {
  ASTER_ASSIGN_OR_RETURN(auto root, optional_string_field(object, "root_pubkey"));
  if (!root) return invalid("credential has no root_pubkey");
  return public_key_from_hex(*root, "credential root_pubkey");
}

Result<Signature> signature_from_json(const nlohmann::json& object) {
  ASTER_ASSIGN_OR_RETURN(auto text, optional_string_field(object, "signature"));
  if (!text || text->empty()) return Signature{};  // unsigned: never verifies
  return signature_from_hex(*text, "credential signature");
}

}  // namespace

std::string_view to_string(ConsumerCredentialType type) {
  return type == ConsumerCredentialType::kOtt ? "ott" : "policy";
}

Result<ConsumerCredentialType> consumer_credential_type_from_string(std::string_view text) {
  if (text == "policy") return ConsumerCredentialType::kPolicy;
  if (text == "ott") return ConsumerCredentialType::kOtt;
  return invalid("unknown credential type \"" + std::string(text) + "\" (policy or ott)");
}

std::string canonical_json(const Attributes& attributes) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : attributes) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, value);
  }
  out.push_back('}');
  return out;
}

std::vector<uint8_t> signing_bytes(const ProducerCredential& credential) {
  std::vector<uint8_t> out;
  append(out, credential.endpoint_id);
  out.insert(out.end(), credential.root_pubkey.begin(), credential.root_pubkey.end());
  append_u64_be(out, credential.expires_at);
  append(out, canonical_json(credential.attributes));
  return out;
}

std::vector<uint8_t> signing_bytes(const ConsumerCredential& credential) {
  std::vector<uint8_t> out;
  out.push_back(credential.type == ConsumerCredentialType::kOtt ? 1 : 0);
  if (credential.endpoint_id) {
    out.push_back(1);
    append(out, *credential.endpoint_id);
  } else {
    out.push_back(0);
  }
  out.insert(out.end(), credential.root_pubkey.begin(), credential.root_pubkey.end());
  append_u64_be(out, credential.expires_at);
  append(out, canonical_json(credential.attributes));
  if (credential.nonce) {
    out.push_back(1);
    out.insert(out.end(), credential.nonce->begin(), credential.nonce->end());
  } else {
    out.push_back(0);
  }
  return out;
}

void sign(ProducerCredential& credential, const SecretSeed& root) {
  credential.signature = root.sign(signing_bytes(credential));
}

void sign(ConsumerCredential& credential, const SecretSeed& root) {
  credential.signature = root.sign(signing_bytes(credential));
}

bool verify(const ProducerCredential& credential, const PublicKey& root) {
  return verify_signature(root, signing_bytes(credential), credential.signature);
}

bool verify(const ConsumerCredential& credential, const PublicKey& root) {
  return verify_signature(root, signing_bytes(credential), credential.signature);
}

namespace {
// The wire form and the file form differ only in the name of the first key.
nlohmann::ordered_json consumer_json(const ConsumerCredential& credential,
                                     const char* type_key) {
  nlohmann::ordered_json doc;
  doc[type_key] = to_string(credential.type);
  doc["root_pubkey"] = to_hex(credential.root_pubkey);
  doc["expires_at"] = credential.expires_at;
  doc["attributes"] = attributes_json(credential.attributes);
  doc["endpoint_id"] = optional_string(credential.endpoint_id);
  doc["nonce"] = credential.nonce ? nlohmann::ordered_json(to_hex(*credential.nonce))
                                  : nlohmann::ordered_json(nullptr);
  doc["signature"] = to_hex(credential.signature);
  return doc;
}
}  // namespace

std::string to_wire_json(const ConsumerCredential& credential) {
  return consumer_json(credential, "credential_type").dump(-1, ' ', /*ensure_ascii=*/true);
}

std::string to_credential_file_json(const ProducerCredential& credential) {
  nlohmann::ordered_json doc;
  doc["type"] = "producer";
  doc["endpoint_id"] = credential.endpoint_id;
  doc["root_pubkey"] = to_hex(credential.root_pubkey);
  doc["expires_at"] = credential.expires_at;
  doc["attributes"] = attributes_json(credential.attributes);
  doc["signature"] = to_hex(credential.signature);
  return doc.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

std::string to_credential_file_json(const ConsumerCredential& credential) {
  return consumer_json(credential, "type").dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

Result<Attributes> attributes_from_json(const nlohmann::json& object) {
  if (object.is_null()) return Attributes{};
  if (!object.is_object()) return invalid("credential attributes must be an object");
  Attributes attributes;
  for (const auto& [key, value] : object.items()) {
    if (!value.is_string()) {
      return invalid("credential attribute \"" + key + "\" must be a string");
    }
    attributes[key] = value.get<std::string>();
  }
  return attributes;
}

Result<ConsumerCredential> consumer_credential_from_json(const nlohmann::json& object) {
  if (!object.is_object()) return invalid("credential must be a JSON object");
  ConsumerCredential credential;
  ASTER_ASSIGN_OR_RETURN(auto type_text, optional_string_field(object, "credential_type"));
  if (!type_text || type_text->empty()) {
    ASTER_ASSIGN_OR_RETURN(type_text, optional_string_field(object, "type"));
  }
  ASTER_ASSIGN_OR_RETURN(credential.type,
                         consumer_credential_type_from_string(type_text.value_or("policy")));
  ASTER_ASSIGN_OR_RETURN(credential.root_pubkey, root_from_json(object));
  ASTER_ASSIGN_OR_RETURN(credential.expires_at, expires_from_json(object));
  auto attributes = object.find("attributes");
  if (attributes != object.end()) {
    ASTER_ASSIGN_OR_RETURN(credential.attributes, attributes_from_json(*attributes));
  }
  ASTER_ASSIGN_OR_RETURN(credential.endpoint_id, optional_string_field(object, "endpoint_id"));
  if (credential.endpoint_id && !credential.endpoint_id->empty() &&
      credential.endpoint_id->size() != 64) {
    return invalid("credential endpoint_id must be 64 hex digits");
  }
  ASTER_ASSIGN_OR_RETURN(auto nonce, optional_string_field(object, "nonce"));
  if (nonce && !nonce->empty()) {  // 0.1.2 reads "" as no nonce
    ASTER_ASSIGN_OR_RETURN(credential.nonce, nonce_from_hex(*nonce, "credential nonce"));
  }
  ASTER_ASSIGN_OR_RETURN(credential.signature, signature_from_json(object));
  return credential;
}

Result<ProducerCredential> producer_credential_from_json(const nlohmann::json& object) {
  if (!object.is_object()) return invalid("credential must be a JSON object");
  ProducerCredential credential;
  ASTER_ASSIGN_OR_RETURN(auto endpoint_id, optional_string_field(object, "endpoint_id"));
  if (!endpoint_id) return invalid("producer credential has no endpoint_id");
  credential.endpoint_id = *endpoint_id;
  ASTER_ASSIGN_OR_RETURN(credential.root_pubkey, root_from_json(object));
  ASTER_ASSIGN_OR_RETURN(credential.expires_at, expires_from_json(object));
  auto attributes = object.find("attributes");
  if (attributes != object.end()) {
    ASTER_ASSIGN_OR_RETURN(credential.attributes, attributes_from_json(*attributes));
  }
  ASTER_ASSIGN_OR_RETURN(credential.signature, signature_from_json(object));
  return credential;
}

}  // namespace aster::trust
