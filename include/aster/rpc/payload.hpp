// Request/response payloads in the stream's serialization mode: Fory XLANG (modes 0–2) or JSON
// (mode 3), for declared C++ types and for aster::Value with a run-time TypeDesc (raw calls).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/codec/value.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

template <typename T>
Result<std::vector<uint8_t>> encode_payload(const T& value, bool json) {
  if (!json) return codec::fory_encode(value);
  ASTER_ASSIGN_OR_RETURN(std::string text, codec::json_encode(value));
  return std::vector<uint8_t>(text.begin(), text.end());
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
