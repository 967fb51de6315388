// Root key files and private files, as aster-cli 0.1.2 writes and reads them
// (aster-rpc@0972ac9:cli/aster_cli/keygen.py `_keygen_root`, trust.py `_keygen_command`,
// signer.py `LocalSigner`, bindings/python/aster/config.py for ASTER_ROOT_PUBKEY_FILE).
//
// `root.key`: 2-space JSON {"private_key": <64 hex seed>, "public_key": <64 hex>}, mode 0600.
// `root.pub` (beside it, `.key` replaced by `.pub`): {"public_key": <64 hex>}.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "aster/status.hpp"
#include "aster/trust/ed25519.hpp"

namespace aster::trust {

struct RootKey {
  SecretSeed private_key;
  PublicKey public_key{};
};

std::string root_key_file_json(const SecretSeed& private_key);
std::string root_pub_file_json(const PublicKey& public_key);

// `private_key` required; `public_key` optional (derived, as LocalSigner does). When both are
// given they must belong together: 0.1.2 would sign with one and name the other in the
// credential, which no producer then accepts.
Result<RootKey> parse_root_key_file(std::string_view text);

// A root public key as ASTER_ROOT_PUBKEY_FILE holds it: 64 hex digits, or JSON with
// `public_key` (a root.pub or a root.key).
Result<PublicKey> parse_root_public_key(std::string_view text);

// The `.pub` path 0.1.2 puts beside a key file: the last `.xxx` replaced by `.pub`, or `.pub`
// appended when the name has no dot (keygen.py: `out.rsplit(".", 1)[0] + ".pub"`).
std::filesystem::path public_key_path_for(const std::filesystem::path& key_path);

// The user's home directory: $HOME, else the password database's, else "." (os.path.expanduser).
std::filesystem::path home_directory();
// `~` and `~/…` expanded with home_directory(), as 0.1.2's os.path.expanduser does for the
// paths it is given; anything else unchanged.
std::filesystem::path expand_user(const std::string& path);

// Reads a whole small file (≤ `max_bytes`); kNotFound when it does not exist.
Result<std::string> read_small_file(const std::filesystem::path& path,
                                    size_t max_bytes = 1 << 20);

// Creates `path` with mode 0600 from the start and fails with kAlreadyExists if it exists
// (0.1.2: `os.open(path, O_WRONLY|O_CREAT|O_EXCL, 0o600)`). Parent directories are created.
Status create_private_file(const std::filesystem::path& path, std::string_view content);

// Replaces `path` atomically: `<path>.tmp` written with mode 0600 from the start, synced, then
// renamed over `path` (0.1.2 writes the temporary file first and chmods it afterwards).
Status replace_private_file(const std::filesystem::path& path, std::string_view content);

// Creates `path` (mode 0644) only if it does not exist; kAlreadyExists otherwise.
Status create_public_file(const std::filesystem::path& path, std::string_view content);

}  // namespace aster::trust
