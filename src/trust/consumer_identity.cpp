#include "aster/trust/consumer_identity.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "aster/hex.hpp"
#include "aster/trust/identity_file.hpp"
#include "aster/trust/key_files.hpp"

namespace aster::trust {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_named(const std::string& path, std::string_view flag) {
  auto text = read_small_file(path);
  if (!text) {
    return Status(text.status().code(), std::string(flag) + ": " +
                                            (text.status().code() == StatusCode::kNotFound
                                                 ? "no such file: " + path
                                                 : text.status().message()));
  }
  return text;
}

bool is_json(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

}  // namespace

std::string ConsumerIdentity::credential_json() const {
  return credential ? to_wire_json(*credential) : std::string();
}

ConsumerIdentityFiles consumer_identity_files(std::string credential_flag,
                                              std::string identity_flag) {
  if (identity_flag.empty()) {
    if (const char* env = std::getenv("ASTER_IDENTITY_FILE"); env != nullptr) identity_flag = env;
  }
  return {std::move(credential_flag), std::move(identity_flag)};
}

Result<ConsumerIdentity> load_consumer_identity(const ConsumerIdentityFiles& files) {
  ConsumerIdentity identity;
  std::vector<SecretSeed> keys;  // candidates, in 0.1.2's order
  std::optional<IdentityFile> named;
  if (!files.identity_file.empty()) {
    ASTER_ASSIGN_OR_RETURN(auto text, read_named(files.identity_file, "identity file"));
    auto parsed = IdentityFile::parse(text);
    if (!parsed) {
      return Status(parsed.status().code(), files.identity_file + ": " + parsed.status().message());
    }
    named = std::move(*parsed);
    if (named->secret_key) keys.push_back(*named->secret_key);
  }
  if (!files.credential_file.empty()) {
    ASTER_ASSIGN_OR_RETURN(auto text, read_named(files.credential_file, "--rcan"));
    auto credential = load_consumer_credential(text);
    if (!credential) {
      return Status(credential.status().code(),
                    files.credential_file + ": " + credential.status().message());
    }
    identity.credential = std::move(*credential);
    const fs::path paired = fs::absolute(files.credential_file).parent_path() / ".aster-identity";
    std::error_code ec;
    if (fs::exists(paired, ec) && !fs::equivalent(paired, files.credential_file, ec)) {
      if (auto paired_text = read_small_file(paired)) {
        if (auto file = IdentityFile::parse(*paired_text); file && file->secret_key) {
          keys.push_back(*file->secret_key);
        }
      }
    }
    if (!is_json(text)) {
      auto own = IdentityFile::parse(text);
      if (own && own->secret_key) keys.push_back(*own->secret_key);
    }
  } else if (named) {
    if (const IdentityPeer* peer = named->peer_for_role("consumer")) {
      auto credential = consumer_credential_from_peer(*peer);
      if (!credential) {
        return Status(credential.status().code(),
                      files.identity_file + ": " + credential.status().message());
      }
      identity.credential = std::move(*credential);
    }
  }
  if (!keys.empty()) {
    identity.secret_key = keys.front();
    if (identity.credential && identity.credential->endpoint_id) {
      for (const auto& key : keys) {
        if (to_hex(key.public_key()) == *identity.credential->endpoint_id) {
          identity.secret_key = key;
          break;
        }
      }
    }
  }
  return identity;
}

}  // namespace aster::trust
