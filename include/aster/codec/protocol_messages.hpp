// Aster's own protocol messages (namespace `_aster`), as aster-rpc 0.1.2 `protocol.py` declares
// them (wire-protocol.md §4). Field order here is the Python declaration order; names are the
// camelCase Python names, which enter the struct hash verbatim (fory-xlang.md §5.3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aster/codec/declare.hpp"

namespace aster::protocol {

// serializationMode values (wire-protocol.md §5).
enum class SerializationMode : int64_t { kXlang = 0, kNative = 1, kRow = 2, kJson = 3 };

struct StreamHeader {
  std::string service;
  std::string method;  // "" = session stream
  int64_t version = 0;
  std::string call_id;
  int64_t deadline_epoch_ms = 0;  // absolute ms; 0 = none
  int64_t serialization_mode = 0;
  std::vector<std::string> metadata_keys;
  std::vector<std::string> metadata_values;
  friend bool operator==(const StreamHeader&, const StreamHeader&) = default;
};
ASTER_MESSAGE(StreamHeader, "_aster/StreamHeader", ASTER_FIELD(service), ASTER_FIELD(method),
              ASTER_FIELD(version), ASTER_FIELD_AS(call_id, "callId"),
              ASTER_FIELD_AS(deadline_epoch_ms, "deadlineEpochMs"),
              ASTER_FIELD_AS(serialization_mode, "serializationMode"),
              ASTER_FIELD_AS(metadata_keys, "metadataKeys"),
              ASTER_FIELD_AS(metadata_values, "metadataValues"))

struct CallHeader {
  std::string method;
  std::string call_id;
  int64_t deadline_epoch_ms = 0;
  std::vector<std::string> metadata_keys;
  std::vector<std::string> metadata_values;
  friend bool operator==(const CallHeader&, const CallHeader&) = default;
};
ASTER_MESSAGE(CallHeader, "_aster/CallHeader", ASTER_FIELD(method),
              ASTER_FIELD_AS(call_id, "callId"),
              ASTER_FIELD_AS(deadline_epoch_ms, "deadlineEpochMs"),
              ASTER_FIELD_AS(metadata_keys, "metadataKeys"),
              ASTER_FIELD_AS(metadata_values, "metadataValues"))

struct RpcStatus {
  int64_t code = 0;  // aster::StatusCode values
  std::string message;
  std::vector<std::string> detail_keys;
  std::vector<std::string> detail_values;
  friend bool operator==(const RpcStatus&, const RpcStatus&) = default;
};
ASTER_MESSAGE(RpcStatus, "_aster/RpcStatus", ASTER_FIELD(code), ASTER_FIELD(message),
              ASTER_FIELD_AS(detail_keys, "detailKeys"),
              ASTER_FIELD_AS(detail_values, "detailValues"))

}  // namespace aster::protocol
