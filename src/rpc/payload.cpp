#include "aster/rpc/payload.hpp"

#include "aster/wire/compression.hpp"

namespace aster::rpc {

namespace detail {

Result<std::vector<uint8_t>> frame_between(std::span<const uint8_t> before,
                                           std::span<const uint8_t> payload, bool json,
                                           std::span<const uint8_t> after) {
  std::vector<uint8_t> out;
  out.reserve(before.size() + wire::kFramePrefixSize + payload.size() + after.size());
  out.insert(out.end(), before.begin(), before.end());
  ASTER_RETURN_IF_ERROR(wire::append_data_frame(out, payload, !json));
  out.insert(out.end(), after.begin(), after.end());
  return out;
}

}  // namespace detail

Result<std::vector<uint8_t>> encode_value_payload(const Value& value,
                                                  const codec::TypeDesc& type, bool json) {
  if (!json) return codec::fory_encode_value(value, type);
  ASTER_ASSIGN_OR_RETURN(std::string text, codec::json_encode_value(value, &type));
  return std::vector<uint8_t>(text.begin(), text.end());
}

Result<Value> decode_value_payload(std::span<const uint8_t> bytes,
                                          const codec::TypeDesc& type, bool json,
                                          const codec::TypeRegistry* registry) {
  if (!json && registry != nullptr && type.unwrapped().kind == codec::TypeKind::kAny) {
    return codec::fory_decode_any(bytes, *registry);
  }
  if (!json) return codec::fory_decode_value(bytes, type);
  return codec::json_decode_value(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), type);
}

}  // namespace aster::rpc
