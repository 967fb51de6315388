#include "aster/wire/messages.hpp"

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"

namespace aster::wire {
namespace {

template <typename T>
Result<std::vector<uint8_t>> encode_as(const T& m, bool json) {
  if (!json) return codec::fory_encode(m);
  ASTER_ASSIGN_OR_RETURN(std::string text, codec::json_encode(m));
  return std::vector<uint8_t>(text.begin(), text.end());
}

template <typename T>
Result<T> decode_sniffed(std::span<const uint8_t> payload) {
  if (!payload.empty() && payload[0] == '{') {
    return codec::json_decode<T>(
        std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
  }
  return codec::fory_decode<T>(payload);
}

}  // namespace

Result<std::vector<uint8_t>> encode_message(const StreamHeader& m, bool json) {
  return encode_as(m, json);
}
Result<std::vector<uint8_t>> encode_message(const CallHeader& m, bool json) {
  return encode_as(m, json);
}
Result<std::vector<uint8_t>> encode_message(const RpcStatus& m, bool json) {
  return encode_as(m, json);
}

Result<StreamHeader> decode_stream_header(std::span<const uint8_t> payload) {
  return decode_sniffed<StreamHeader>(payload);
}
Result<CallHeader> decode_call_header(std::span<const uint8_t> payload) {
  return decode_sniffed<CallHeader>(payload);
}
Result<RpcStatus> decode_rpc_status(std::span<const uint8_t> payload) {
  return decode_sniffed<RpcStatus>(payload);
}

RpcStatus to_rpc_status(const Status& status) {
  return RpcStatus{static_cast<int64_t>(status.code()), status.message(), {}, {}};
}

Status to_status(const RpcStatus& status) {
  // Codes outside 0.1.2's set (0–16, 101) are kept numerically; callers print them.
  const auto code = static_cast<StatusCode>(static_cast<int32_t>(status.code));
  if (code == StatusCode::kOk) return Status::ok();
  return Status(code, status.message);
}

}  // namespace aster::wire
