#include "aster/trust/key_files.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"

namespace aster::trust {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status errno_status(const std::string& what, const std::filesystem::path& path, int error) {
  StatusCode code = error == EEXIST   ? StatusCode::kAlreadyExists
                    : error == ENOENT ? StatusCode::kNotFound
                                      : StatusCode::kUnavailable;
  return Status(code, what + " " + path.string() + ": " + std::strerror(error));
}

Status make_parent(const std::filesystem::path& path) {
  auto parent = path.parent_path();
  if (parent.empty()) return Status::ok();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return Status(StatusCode::kUnavailable, "cannot create " + parent.string() + ": " + ec.message());
  return Status::ok();
}

Status write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("cannot write", path, errno);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status create_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  ASTER_RETURN_IF_ERROR(make_parent(path));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errno_status("cannot create", path, errno);
  Status status = write_all(fd, content, path);
  if (status.is_ok() && ::fsync(fd) != 0) status = errno_status("cannot sync", path, errno);
  ::close(fd);
  if (!status.is_ok()) ::unlink(path.c_str());
  return status;
}

Result<nlohmann::json> parse_json(std::string_view text, std::string_view what) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return invalid(std::string(what) + " is not a JSON object");
  }
  return doc;
}

}  // namespace

std::string root_key_file_json(const SecretSeed& private_key) {
  // Written by hand rather than through a JSON value so the secret's hex exists in one
  // buffer only (json.dump(indent=2) bytes, then "\n").
  return "{\n  \"private_key\": \"" + private_key.to_hex() + "\",\n  \"public_key\": \"" +
         to_hex(private_key.public_key()) + "\"\n}\n";
}

std::string root_pub_file_json(const PublicKey& public_key) {
  return "{\n  \"public_key\": \"" + to_hex(public_key) + "\"\n}\n";
}

Result<RootKey> parse_root_key_file(std::string_view text) {
  ASTER_ASSIGN_OR_RETURN(auto doc, parse_json(text, "root key file"));
  auto priv = doc.find("private_key");
  if (priv == doc.end() || !priv->is_string()) {
    return invalid("root key file has no private_key");
  }
  ASTER_ASSIGN_OR_RETURN(auto seed, SecretSeed::from_hex(priv->get_ref<const std::string&>()));
  RootKey key{seed, seed.public_key()};
  auto pub = doc.find("public_key");
  if (pub != doc.end()) {
    if (!pub->is_string()) return invalid("root key file public_key must be a string");
    ASTER_ASSIGN_OR_RETURN(auto given, public_key_from_hex(pub->get<std::string>(), "public_key"));
    if (given != key.public_key) {
      return invalid("root key file: public_key does not belong to private_key");
    }
  }
  return key;
}

Result<PublicKey> parse_root_public_key(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return invalid("root public key file is empty");
  text.remove_prefix(first);
  text = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
  if (text.front() != '{') return public_key_from_hex(text, "root public key");
  ASTER_ASSIGN_OR_RETURN(auto doc, parse_json(text, "root public key file"));
  auto pub = doc.find("public_key");
  if (pub == doc.end() || !pub->is_string()) {
    return invalid("root public key file has no public_key");
  }
  return public_key_from_hex(pub->get<std::string>(), "root public key");
}

std::filesystem::path public_key_path_for(const std::filesystem::path& key_path) {
  std::string text = key_path.string();
  auto dot = text.rfind('.');
  if (dot == std::string::npos) return text + ".pub";
  return text.substr(0, dot) + ".pub";
}

std::filesystem::path home_directory() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) home = pw->pw_dir;
  }
  return std::filesystem::path(home != nullptr ? home : ".");
}

std::filesystem::path expand_user(const std::string& path) {
  if (path == "~" || path.starts_with("~/")) {
    return home_directory() / path.substr(path.size() > 1 ? 2 : 1);
  }
  return path;
}

Result<std::string> read_small_file(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    bool exists = std::filesystem::exists(path, ec);
    return Status(exists ? StatusCode::kUnavailable : StatusCode::kNotFound,
                  (exists ? "cannot read " : "no such file: ") + path.string());
  }
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return Status(StatusCode::kInvalidArgument, path.string() + " is larger than " +
                                                      std::to_string(max_bytes) + " bytes");
    }
  }
  return text;
}

Status create_private_file(const std::filesystem::path& path, std::string_view content) {
  return create_file(path, content, 0600);
}

Status create_public_file(const std::filesystem::path& path, std::string_view content) {
  return create_file(path, content, 0644);
}

Status replace_private_file(const std::filesystem::path& path, std::string_view content) {
  ASTER_RETURN_IF_ERROR(make_parent(path));
  std::filesystem::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());  // a leftover from an interrupted run
  ASTER_RETURN_IF_ERROR(create_file(tmp, content, 0600));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status status = errno_status("cannot replace", path, errno);
    ::unlink(tmp.c_str());
    return status;
  }
  return Status::ok();
}

}  // namespace aster::trust
