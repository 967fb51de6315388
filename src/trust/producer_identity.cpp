#include "aster/trust/producer_identity.hpp"

#include <cstdlib>
#include <filesystem>

#include "aster/trust/identity_file.hpp"
#include "aster/trust/key_files.hpp"

namespace aster::trust {
namespace {

namespace fs = std::filesystem;

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// config.py `_load`: ASTER_SECRET_KEY is stripped; blank means unset.
Result<std::optional<SecretSeed>> secret_key_from_env() {
  const char* env = std::getenv("ASTER_SECRET_KEY");
  if (env == nullptr) return std::optional<SecretSeed>();
  const std::string_view text = trimmed(env);
  if (text.empty()) return std::optional<SecretSeed>();
  auto seed = SecretSeed::from_base64(text);
  if (!seed) {
    return Status(StatusCode::kInvalidArgument,
                  "ASTER_SECRET_KEY must be the standard base64 of a 32-byte ed25519 seed: " +
                      seed.status().message());
  }
  return std::optional<SecretSeed>(std::move(*seed));
}

// The file to read, or "" when none is named and ./.aster-identity does not exist.
Result<std::string> identity_path(std::string named) {
  std::string_view origin = "identity file";
  if (named.empty()) {
    if (const char* env = std::getenv("ASTER_IDENTITY_FILE"); env != nullptr) {
      named = std::string(trimmed(env));
      origin = "ASTER_IDENTITY_FILE";
    }
  }
  std::error_code ec;
  if (named.empty()) {
    const fs::path cwd_file = fs::current_path(ec) / ".aster-identity";
    if (!ec && fs::exists(cwd_file, ec)) return cwd_file.string();
    return std::string();
  }
  named = expand_user(named).string();
  if (!fs::exists(named, ec)) {
    return Status(StatusCode::kNotFound, std::string(origin) + ": no such file: " + named);
  }
  return named;
}

}  // namespace

Result<ProducerIdentity> load_producer_identity(std::string identity_file, std::string_view peer) {
  ProducerIdentity identity;
  ASTER_ASSIGN_OR_RETURN(identity.secret_key, secret_key_from_env());
  ASTER_ASSIGN_OR_RETURN(identity.identity_file, identity_path(std::move(identity_file)));
  if (identity.identity_file.empty()) {
    if (!peer.empty()) {
      return Status(StatusCode::kNotFound, "identity peer \"" + std::string(peer) +
                                               "\" named but no .aster-identity file found");
    }
    return identity;
  }
  const std::string& path = identity.identity_file;
  auto text = read_small_file(path);
  if (!text) return Status(text.status().code(), path + ": " + text.status().message());
  auto file = IdentityFile::parse(*text);
  if (!file) return Status(file.status().code(), path + ": " + file.status().message());
  // ASTER_SECRET_KEY wins over the file's key (runtime.py: `if secret_key_from_identity and not
  // config.secret_key`).
  if (!identity.secret_key) identity.secret_key = file->secret_key;
  // load_identity(peer_name=peer, role="producer"): by name, else the first producer peer (no
  // fallback to another role).
  const IdentityPeer* chosen = nullptr;
  for (const auto& candidate : file->peers) {
    if (peer.empty() ? candidate.role == "producer" : candidate.name == peer) {
      chosen = &candidate;
      break;
    }
  }
  if (chosen == nullptr && !peer.empty()) {
    return Status(StatusCode::kNotFound,
                  path + ": no [[peers]] entry named \"" + std::string(peer) + "\"");
  }
  if (chosen != nullptr) {
    auto root = public_key_from_hex(chosen->root_pubkey, "root_pubkey");
    if (!root) {
      return Status(root.status().code(), path + ": peer \"" + chosen->name +
                                              "\": " + root.status().message());
    }
    identity.root_pubkey = *root;
  }
  return identity;
}

}  // namespace aster::trust
