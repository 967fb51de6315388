// What a consumer presents at admission: its node key (the endpoint id a credential is bound
// to) and its enrollment credential, found as aster-cli 0.1.2's `aster call --rcan` / AsterClient
// find them (aster-rpc@0972ac9:cli/aster_cli/contract.py `_call_command`,
// bindings/python/aster/runtime.py `AsterClient.__init__`):
//
//   * credential: the --rcan file (JSON credential or `.aster-identity`), else the consumer
//     peer of the identity file;
//   * node key: the identity file's [node] secret_key (--identity, else ASTER_IDENTITY_FILE),
//     else the `.aster-identity` beside the --rcan file, else the --rcan file's own [node].
//
// Unlike 0.1.2, when several keys are found the one whose public key is the credential's bound
// endpoint id wins (0.1.2 takes the first and is then refused), a named file that does not
// exist is an error (0.1.2 ignores it), and nothing is picked up from the working directory
// unasked (0.1.2's AsterClient sends ./.aster-identity's consumer peer on its own).
#pragma once

#include <optional>
#include <string>

#include "aster/status.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/ed25519.hpp"

namespace aster::trust {

struct ConsumerIdentity {
  std::optional<SecretSeed> secret_key;  // nullopt: an ephemeral key
  std::optional<ConsumerCredential> credential;  // nullopt: the empty (open-gate) credential

  // The admission request's `credential_json` ("" without a credential).
  std::string credential_json() const;
};

struct ConsumerIdentityFiles {
  std::string credential_file;  // --rcan
  std::string identity_file;    // --identity, else ASTER_IDENTITY_FILE
};

// The identity the files give; both empty → an empty identity (dev mode).
Result<ConsumerIdentity> load_consumer_identity(const ConsumerIdentityFiles& files);

// `identity_file` from the flag, else ASTER_IDENTITY_FILE.
ConsumerIdentityFiles consumer_identity_files(std::string credential_flag,
                                              std::string identity_flag);

}  // namespace aster::trust
