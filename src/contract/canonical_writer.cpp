#include "aster/contract/canonical_writer.hpp"

#include <bit>
#include <cstring>

namespace aster::contract {

void CanonicalWriter::write_uvarint(uint64_t value) {
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    out_.push_back(value != 0 ? (byte | 0x80) : byte);
  } while (value != 0);
}

void CanonicalWriter::write_zigzag_i32(int32_t value) {
  // Shift in unsigned arithmetic: (n << 1) ^ (n >> 31) without signed-overflow UB.
  uint32_t u = (static_cast<uint32_t>(value) << 1) ^ static_cast<uint32_t>(value >> 31);
  write_uvarint(u);
}

void CanonicalWriter::write_zigzag_i64(int64_t value) {
  uint64_t u = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  write_uvarint(u);
}

void CanonicalWriter::write_string(std::string_view utf8) {
  write_uvarint((static_cast<uint64_t>(utf8.size()) << 2) | 2);
  out_.insert(out_.end(), utf8.begin(), utf8.end());
}

void CanonicalWriter::write_bytes(std::span<const uint8_t> data) {
  write_uvarint(data.size());
  out_.insert(out_.end(), data.begin(), data.end());
}

void CanonicalWriter::write_float64(double value) {
  static_assert(std::endian::native == std::endian::little, "canonical float64 is little-endian");
  uint8_t raw[8];
  std::memcpy(raw, &value, 8);
  out_.insert(out_.end(), raw, raw + 8);
}

void CanonicalWriter::write_list_header(size_t count) {
  write_uvarint(count);
  out_.push_back(kListElementHeader);
}

}  // namespace aster::contract
