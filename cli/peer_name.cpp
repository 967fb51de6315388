#include "peer_name.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include "aster/transport/endpoint_addr.hpp"
#include "aster/trust/identity_file.hpp"

namespace aster::cli {
namespace {

// app.py `_resolve_peer_arg`: `looks_like_name`.
bool looks_like_name(const std::string& s) {
  if (s.size() >= 64 || s.find('=') != std::string::npos || s.find('\n') != std::string::npos) {
    return false;
  }
  return !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// The identity file in `dir`, nullopt when there is none or it cannot be read (0.1.2 ignores
// an unreadable file there and goes on with the argument as an address).
std::optional<trust::IdentityFile> identity_in(const std::filesystem::path& dir, bool& exists) {
  const auto path = dir / ".aster-identity";
  std::error_code ec;
  exists = std::filesystem::exists(path, ec);
  if (!exists) return std::nullopt;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = trust::IdentityFile::parse(text.str());
  if (!parsed.is_ok()) return std::nullopt;
  return std::move(*parsed);
}

}  // namespace

Result<ResolvedPeer> resolve_peer_argument(const std::string& argument,
                                           const std::filesystem::path& dir) {
  if (argument.rfind("aster1", 0) == 0) return ResolvedPeer{argument, ""};
  bool exists = false;
  const auto identity = identity_in(dir, exists);
  if (looks_like_name(argument)) {
    const bool is_address = transport::parse_endpoint_addr(argument).is_ok();
    if (!exists && !is_address) {
      return Status(StatusCode::kNotFound,
                    "'" + argument + "' looks like a peer name but there is no .aster-identity in " +
                        dir.string() +
                        ": pass an aster1… ticket, base64 NodeAddr or hex endpoint id, or create "
                        "one with 'aster enroll node'");
    }
    if (identity) {
      std::string known;
      for (const auto& peer : identity->peers) {
        if (peer.name == argument) {
          if (!peer.endpoint_id || peer.endpoint_id->empty()) {
            return Status(StatusCode::kNotFound, "peer '" + argument +
                                                     "' found in .aster-identity but has no "
                                                     "endpoint_id");
          }
          return ResolvedPeer{*peer.endpoint_id, argument};
        }
        if (!peer.name.empty()) known += (known.empty() ? "" : ", ") + peer.name;
      }
      if (!is_address) {
        return Status(StatusCode::kNotFound,
                      "peer '" + argument + "' not found in .aster-identity (" +
                          (known.empty() ? std::string("it has no peer entries")
                                         : "known peers: " + known) +
                          "): pass an aster1… ticket, base64 NodeAddr or hex endpoint id");
      }
    }
  }
  // app.py `_lookup_peer_name`: an address the identity file knows keeps its name.
  if (identity) {
    for (const auto& peer : identity->peers) {
      if (peer.endpoint_id && *peer.endpoint_id == argument && !peer.name.empty()) {
        return ResolvedPeer{argument, peer.name};
      }
    }
  }
  return ResolvedPeer{argument, ""};
}

}  // namespace aster::cli
