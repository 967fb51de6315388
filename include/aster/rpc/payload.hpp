// Request/response payloads in the stream's serialization mode: Fory XLANG (modes 0–2) or JSON
// (mode 3), for declared C++ types and for aster::Value with a run-time TypeDesc (raw calls).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/codec/value.hpp"
#include "aster/wire/frame.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

template <typename T>
Result<std::vector<uint8_t>> encode_payload(const T& value, bool json) {
  if (!json) return codec::fory_encode(value);
  ASTER_ASSIGN_OR_RETURN(std::string text, codec::json_encode(value));
  return std::vector<uint8_t>(text.begin(), text.end());
}

namespace detail {
// `before`, one data frame carrying `payload` (zstd past the threshold in Fory mode), `after`.
Result<std::vector<uint8_t>> frame_between(std::span<const uint8_t> before,
                                           std::span<const uint8_t> payload, bool json,
                                           std::span<const uint8_t> after);
}  // namespace detail

// The bytes of one write: `before` (frames, e.g. a request's HEADER), one data frame carrying
// `value` in the stream's mode, then `after` (frames, e.g. a response's OK trailer). In Fory
// mode the value is encoded where its frame goes, so a call's payload needs no buffer of its
// own; past the threshold it is zstd-compressed as 0.1.2's `encode_compressed` does (JSON
// senders never compress). A failed encode is `encode_failure` with the codec's message; a
// payload the wire refuses (over kMaxFrameSize) is the wire's status.
template <typename T>
Result<std::vector<uint8_t>> framed_payload(const T& value, bool json,
                                            std::span<const uint8_t> before,
                                            std::span<const uint8_t> after,
                                            StatusCode encode_failure) {
  if (json) {
    auto payload = encode_payload(value, true);
    if (!payload.is_ok()) return Status(encode_failure, payload.status().message());
    return detail::frame_between(before, *payload, true, after);
  }
  codec::ForyWriter w;
  w.reserve(before.size() + wire::kFramePrefixSize + 128 + after.size());
  w.put_bytes(before.data(), before.size());
  const size_t at = w.size();
  const std::array<uint8_t, wire::kFramePrefixSize> room{};
  w.put_bytes(room.data(), room.size());
  Status encoded = codec::fory_encode_append(value, w);
  if (!encoded.is_ok()) return Status(encode_failure, encoded.message());
  const size_t n = w.size() - at - wire::kFramePrefixSize;
  if (n > wire::kCompressionThreshold) {
    return detail::frame_between(before, w.bytes().subspan(at + wire::kFramePrefixSize), false,
                                 after);
  }
  auto prefix = wire::frame_prefix(0, n);
  if (!prefix.is_ok()) return prefix.status();
  w.patch(at, *prefix);
  w.put_bytes(after.data(), after.size());
  return w.take_vector();
}

template <typename T>
Result<T> decode_payload(std::span<const uint8_t> bytes, bool json) {
  if (!json) return codec::fory_decode<T>(bytes);
  return codec::json_decode<T>(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<std::vector<uint8_t>> encode_value_payload(const Value& value,
                                                  const codec::TypeDesc& type, bool json);
// A kAny `type` (a 0.1.2 handler annotated `-> list[Point]`) is read by the type ids the
// payload carries; its structs are looked up in `registry` when one is given.
Result<Value> decode_value_payload(std::span<const uint8_t> bytes,
                                          const codec::TypeDesc& type, bool json,
                                          const codec::TypeRegistry* registry = nullptr);

}  // namespace aster::rpc
