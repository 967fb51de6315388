// What a handler learns about the call it serves: names, call id, the peer's endpoint id,
// metadata and deadline, from the StreamHeader (aster-rpc@0972ac9:bindings/python/aster/
// server.py `_build_call_context`).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aster::rpc {

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct CallContext {
  std::string service;
  std::string method;
  std::string call_id;  // "" for 0.1.2 unary calls, a UUID4 otherwise
  std::string peer;     // the consumer's endpoint id (64 hex); "" when unknown
  Metadata metadata;    // as sent (0.1.2 keeps at most 64 entries)
  std::optional<std::chrono::system_clock::time_point> deadline;
  bool json = false;  // serializationMode 3
  std::string session_id;  // inside a session: the session's id (its StreamHeader callId)
  // What the peer's admission granted, looked up when the call arrives: the credential's
  // attributes (`aster.role`, `aster.name`, …) on a closed gate while the admission lasts,
  // else empty (0.1.2 `CallContext.attributes` from its PeerAttributeStore).
  std::map<std::string, std::string> attributes;

  // The value of `key`; the last duplicate wins, as 0.1.2's dict(zip(keys, values)).
  std::optional<std::string_view> find_metadata(std::string_view key) const {
    std::optional<std::string_view> found;
    for (const auto& [k, v] : metadata) {
      if (k == key) found = v;
    }
    return found;
  }
};

}  // namespace aster::rpc
