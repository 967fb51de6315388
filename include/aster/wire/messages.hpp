// Aster's own protocol messages (Fory namespace `_aster`), as aster-rpc 0.1.2 declares them
// (aster-rpc@0972ac9:bindings/python/aster/protocol.py). Field order here is the Python
// declaration order; names are the camelCase Python names, which enter the Fory struct hash
// verbatim. They live in wire, not in the codec: the codec knows Fory, the wire part knows
// Aster's protocol (docs/architecture.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/status.hpp"

namespace aster::wire {

// serializationMode values (aster-rpc@0972ac9:bindings/python/aster/rpc_types.py).
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

// The payload forms 0.1.2 puts on the wire: Fory XLANG, or JSON (`{...}`, declaration order,
// compact separators) when the stream's serializationMode is 3
// (aster-rpc@0972ac9:bindings/python/aster/json_codec.py `json_encode`).
Result<std::vector<uint8_t>> encode_message(const StreamHeader& m, bool json);
Result<std::vector<uint8_t>> encode_message(const CallHeader& m, bool json);
Result<std::vector<uint8_t>> encode_message(const RpcStatus& m, bool json);

// Decoding sniffs the form: byte 0 == '{' means JSON, anything else Fory. 0.1.2's server sniffs
// the HEADER this way (aster-rpc@0972ac9:bindings/python/aster/server.py `_handle_stream`), and
// its JSON client codec falls back to Fory for the Fory error trailers a 0.1.2 server writes on
// JSON streams (`JsonProxyCodec.decode`), so one rule serves both sides.
Result<StreamHeader> decode_stream_header(std::span<const uint8_t> payload);
Result<CallHeader> decode_call_header(std::span<const uint8_t> payload);
Result<RpcStatus> decode_rpc_status(std::span<const uint8_t> payload);

// Status ↔ RpcStatus (details are not carried: 0.1.2 servers never send them).
RpcStatus to_rpc_status(const Status& status);
Status to_status(const RpcStatus& status);

}  // namespace aster::wire
