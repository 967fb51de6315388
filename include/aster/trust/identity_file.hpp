// `.aster-identity`: a node's secret key and its enrollment credentials, TOML, mode 0600
// (aster-rpc@0972ac9:cli/aster_cli/identity.py `_serialize_identity`/`load_identity`,
// bindings/python/aster/config.py `load_identity`, runtime.py `_load_enrollment_credential`).
//
//   [node]
//   secret_key = "<standard base64 of the 32-byte ed25519 seed>"
//   endpoint_id = "<64 hex>"
//   [[peers]]                      (one per credential; `name` is unique)
//   name, role ("producer"|"consumer"), type ("policy"|"ott"), root_pubkey, endpoint_id,
//   expires_at (integer), nonce (OTT only), signature, attributes = { "k" = "v", … }
//   [published_services.<Service>] producer_token, contract_id, service_name
//
// Where we differ from 0.1.2's writer (docs/compatibility.md "Identity files"): strings are
// escaped as TOML requires, and `attributes` holds every signed attribute. 0.1.2 leaves out
// `aster.role` when it equals `role` and `aster.name` when it equals `name`, but its runtime
// does not put them back, so such a credential fails at every producer; files we write verify
// with both readers. Files 0.1.2 wrote are repaired on reading (consumer_credential_from_peer).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aster/status.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/ed25519.hpp"

namespace aster::trust {

struct IdentityPeer {
  std::string name;
  std::string role;  // "producer" | "consumer"
  std::string type;  // "policy" | "ott" (0.1.2 writes "policy" for producer credentials too)
  std::string root_pubkey;               // 64 hex
  std::optional<std::string> endpoint_id;
  std::optional<uint64_t> expires_at;
  std::optional<std::string> nonce;      // 64 hex
  std::string signature;                 // 128 hex
  Attributes attributes;
};

struct IdentityFile {
  std::optional<SecretSeed> secret_key;
  std::string endpoint_id;  // of secret_key; 0.1.2 writes both
  std::vector<IdentityPeer> peers;
  // [published_services.<name>] tables, kept as read (string values only).
  std::map<std::string, std::map<std::string, std::string>> published_services;

  static Result<IdentityFile> parse(std::string_view toml_text);
  std::string to_toml() const;

  // Appends `peer`, replacing any peer with the same name (identity.py `add_peer`).
  void add_peer(IdentityPeer peer);
  // The first peer with `role`, else the first peer, else nullptr (runtime.py
  // `_extract_credential_from_identity` with role "consumer").
  const IdentityPeer* peer_for_role(std::string_view role) const;
};

// The credential a consumer presents for `peer`. If its signature does not verify against the
// peer's own root_pubkey as written, the forms with `aster.role = role` and/or
// `aster.name = name` added back (what 0.1.2's writer dropped) are tried, and the first that
// verifies is returned; if none does, the peer as written (a producer will refuse it, as it
// refuses it from 0.1.2).
Result<ConsumerCredential> consumer_credential_from_peer(const IdentityPeer& peer);

// A consumer credential file as 0.1.2's runtime reads one: JSON when the text starts with
// `{` (`aster trust sign` output or the wire form), else an `.aster-identity` (its consumer
// peer, else its first peer).
Result<ConsumerCredential> load_consumer_credential(std::string_view text);

}  // namespace aster::trust
