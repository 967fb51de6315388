#include "aster/contract/identity.hpp"

#include <aster_iroh.h>

namespace aster::contract {

TypeHash blake3(std::span<const uint8_t> data) {
  TypeHash out{};
  // Only fails on a null argument; data() of an empty span may be null, so pass a valid pointer.
  static const uint8_t kEmpty = 0;
  aster_iroh_blake3(data.empty() ? &kEmpty : data.data(), data.size(), out.data());
  return out;
}

TypeHash type_hash(const TypeDef& type_def) {
  return blake3(canonical_bytes(type_def));
}

std::string contract_id(const ServiceContract& contract) {
  return to_hex(blake3(canonical_bytes(contract)));
}

TypeHash primitive_stand_in_hash(std::string_view primitive_name) {
  return blake3({reinterpret_cast<const uint8_t*>(primitive_name.data()), primitive_name.size()});
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

Result<std::vector<uint8_t>> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return Status(StatusCode::kInvalidArgument, "hex string has an odd number of digits");
  }
  std::vector<uint8_t> out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return Status(StatusCode::kInvalidArgument,
                    "invalid hex digit at offset " + std::to_string(hi < 0 ? i : i + 1));
    }
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace aster::contract
