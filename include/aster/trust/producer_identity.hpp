// What a producer takes from its environment and its `.aster-identity`, found as 0.1.2's
// AsterServer finds them (aster-rpc@0972ac9:bindings/python/aster/runtime.py
// `AsterServer.__init__`, bindings/python/aster/config.py `AsterConfig._load`,
// `load_identity`, `_resolve_identity_path`):
//
//   * node key: ASTER_SECRET_KEY (standard base64 of the 32-byte seed; blank = unset), else the
//     identity file's [node] secret_key, else none (the server generates one);
//   * identity file: the given path, else ASTER_IDENTITY_FILE, else ./.aster-identity when it
//     exists (a leading `~/` is expanded, as 0.1.2's os.path.expanduser does);
//   * root key: the `root_pubkey` of the [[peers]] entry named `peer`, else of the first peer
//     with role "producer" (0.1.2 uses it in preference to ASTER_ROOT_PUBKEY(_FILE)).
//
// Unlike 0.1.2, a malformed ASTER_SECRET_KEY, identity file or peer root key, a named file that
// does not exist, and a named peer the file lacks are errors (0.1.2 ignores a missing file and
// peer, and its base64 reader skips stray characters); a producer never starts on a key other
// than the one it was given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aster/status.hpp"
#include "aster/trust/ed25519.hpp"

namespace aster::trust {

struct ProducerIdentity {
  std::optional<SecretSeed> secret_key;  // nullopt: none configured
  std::optional<PublicKey> root_pubkey;  // from the identity file's producer peer
  std::string identity_file;             // the file read; "" when none
};

// `identity_file` "" → ASTER_IDENTITY_FILE → ./.aster-identity; `peer` "" → the first producer
// peer. Reads the environment and the file system on every call.
Result<ProducerIdentity> load_producer_identity(std::string identity_file, std::string_view peer);

}  // namespace aster::trust
