// Enrollment credentials, byte for byte as aster-rpc 0.1.2 signs and reads them
// (aster-rpc@0972ac9:bindings/python/aster/trust/credentials.py, signing.py, consumer.py
// `consumer_cred_to_json`/`consumer_cred_from_json`, runtime.py `_load_enrollment_credential`,
// cli/aster_cli/trust.py `_sign_command`).
//
// Two kinds: a producer credential binds a root key to one endpoint id; a consumer credential
// is a reusable `policy` or a one-time `ott` (with a 32-byte nonce), optionally bound to an
// endpoint id. Each is signed by the root key over its canonical signing bytes (no length
// prefixes, no domain tag; the endpoint id is signed as its hex text, not as 32 raw bytes).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aster/status.hpp"
#include "aster/trust/ed25519.hpp"

namespace aster::trust {

// Signed attributes (str → str). std::map's byte order of UTF-8 keys is Python's code-point
// order (`sort_keys=True`), so iterating it is the canonical order.
using Attributes = std::map<std::string, std::string>;

// Reserved attribute keys (credentials.py).
inline constexpr std::string_view kAttrRole = "aster.role";  // comma-separated capabilities
inline constexpr std::string_view kAttrName = "aster.name";
inline constexpr std::string_view kAttrIidProvider = "aster.iid_provider";

enum class ConsumerCredentialType { kPolicy, kOtt };
std::string_view to_string(ConsumerCredentialType type);
// "policy" | "ott"; anything else is kInvalidArgument (0.1.2 refuses it at admission).
Result<ConsumerCredentialType> consumer_credential_type_from_string(std::string_view text);

struct ProducerCredential {
  std::string endpoint_id;  // hex text as signed
  PublicKey root_pubkey{};
  uint64_t expires_at = 0;  // epoch seconds
  Attributes attributes;
  Signature signature{};
};

struct ConsumerCredential {
  ConsumerCredentialType type = ConsumerCredentialType::kPolicy;
  PublicKey root_pubkey{};
  uint64_t expires_at = 0;
  Attributes attributes;
  std::optional<std::string> endpoint_id;  // nullopt = not bound ("" counts as bound)
  std::optional<Nonce> nonce;              // OTT: required; policy: must be absent
  Signature signature{};
};

// `json.dumps(attributes, sort_keys=True, separators=(",",":"), ensure_ascii=False)` as UTF-8:
// only `"` `\` \b \f \n \r \t and \u00xx (other C0) escaped; everything else raw.
std::string canonical_json(const Attributes& attributes);

// The bytes the root key signs (signing.py `_producer_signing_bytes`/`_consumer_signing_bytes`).
std::vector<uint8_t> signing_bytes(const ProducerCredential& credential);
std::vector<uint8_t> signing_bytes(const ConsumerCredential& credential);

// Sets `signature` (ed25519 over signing_bytes with the root seed).
void sign(ProducerCredential& credential, const SecretSeed& root);
void sign(ConsumerCredential& credential, const SecretSeed& root);

// The signature against `root` (not the credential's own root_pubkey field: the verifier pins
// the root it trusts).
bool verify(const ProducerCredential& credential, const PublicKey& root);
bool verify(const ConsumerCredential& credential, const PublicKey& root);

// The wire form inside an admission request's `credential_json` (consumer.py
// `consumer_cred_to_json`): compact, ASCII-escaped, keys credential_type, root_pubkey,
// expires_at, attributes, endpoint_id, nonce, signature (null when absent).
std::string to_wire_json(const ConsumerCredential& credential);

// `aster trust sign`'s file (trust.py `_sign_command`): 2-space JSON with `type`, then a
// newline. Producer keys: type, endpoint_id, root_pubkey, expires_at, attributes, signature;
// consumer keys: type, root_pubkey, expires_at, attributes, endpoint_id, nonce, signature.
std::string to_credential_file_json(const ProducerCredential& credential);
std::string to_credential_file_json(const ConsumerCredential& credential);

// A consumer credential from a JSON object as 0.1.2's runtime loader reads one (runtime.py
// `_load_enrollment_credential`, which also reads a `[[peers]]` entry of `.aster-identity`):
// the type from `credential_type`, else `type`, default "policy"; `endpoint_id` and `nonce`
// may be null or missing; `signature` may be missing (then it cannot verify). Stricter than
// 0.1.2 where 0.1.2 would present a credential no producer accepts: hex fields must have their
// exact lengths, attribute values must be strings, `expires_at` an integer in [0, 2^64).
Result<ConsumerCredential> consumer_credential_from_json(const nlohmann::json& object);

// A producer credential from `aster trust sign --type producer`'s file.
Result<ProducerCredential> producer_credential_from_json(const nlohmann::json& object);

// Attributes from a JSON object; every value must be a string.
Result<Attributes> attributes_from_json(const nlohmann::json& object);

}  // namespace aster::trust
