// Hex text for bytes (hashes, contract ids, endpoint ids): the one encoder and decoder every
// part uses, and the short form people see in messages.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/status.hpp"

namespace aster {

// Lowercase, two digits a byte (what 0.1.2 prints: Python's bytes.hex()).
inline std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

// Either case; errors give the offset of the first bad digit.
inline Result<std::vector<uint8_t>> from_hex(std::string_view hex) {
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

// The first 16 hex digits and an ellipsis: how messages and tables name an endpoint or a hash
// (enough to tell peers apart, short enough for one line).
inline std::string short_id(std::string_view hex) {
  if (hex.size() <= 16) return std::string(hex);
  return std::string(hex.substr(0, 16)) + "…";
}

}  // namespace aster
