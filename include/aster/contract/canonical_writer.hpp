// CanonicalWriter: the byte primitives of Aster's canonical contract encoding, exactly as
// aster-rpc 0.1.2 writes them (aster-rpc@0972ac9:core/src/canonical.rs). These are
// *not* Fory payload encodings: no header, no type meta, no ref flags, and strings are always
// UTF-8 with encoding tag 2, whatever their content.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace aster::contract {

class CanonicalWriter {
 public:
  // The element header 0.1.2 writes after every list length (also for empty lists).
  static constexpr uint8_t kListElementHeader = 0x0C;
  // An absent optional; a present one is 0x00 followed by the value.
  static constexpr uint8_t kOptionalAbsent = 0xFD;
  static constexpr uint8_t kOptionalPresent = 0x00;

  // Unsigned LEB128, low group first.
  void write_uvarint(uint64_t value);
  // ZigZag then uvarint: ids, version, enum values (i32) — canonical.rs.
  void write_zigzag_i32(int32_t value);
  void write_zigzag_i64(int64_t value);
  // uvarint((utf8_len << 2) | 2) + the bytes as given (no normalization: core/src/contract.rs).
  void write_string(std::string_view utf8);
  // uvarint(len) + raw bytes. Hash fields are written with whatever length they have.
  void write_bytes(std::span<const uint8_t> data);
  void write_bool(bool value) { out_.push_back(value ? 0x01 : 0x00); }
  // 8 bytes IEEE-754 little-endian.
  void write_float64(double value);
  void write_list_header(size_t count);
  void write_optional_absent() { out_.push_back(kOptionalAbsent); }
  void write_optional_present() { out_.push_back(kOptionalPresent); }

  const std::vector<uint8_t>& bytes() const& { return out_; }
  std::vector<uint8_t> take() && { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace aster::contract
