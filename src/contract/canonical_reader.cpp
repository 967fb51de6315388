#include "aster/contract/canonical_reader.hpp"

#include <string>

#include "aster/contract/canonical_writer.hpp"

namespace aster::contract {
namespace {

class CanonicalReader {
 public:
  explicit CanonicalReader(std::span<const uint8_t> in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ == in_.size(); }
  Status status() const {
    return Status(StatusCode::kInvalidArgument, "canonical TypeDef: " + error_);
  }
  void fail(const std::string& what) {
    if (ok()) error_ = what + " at byte offset " + std::to_string(pos_);
  }

  uint64_t uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        fail("truncated varint");
        return 0;
      }
      uint8_t b = in_[pos_++];
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
    return 0;
  }
  int32_t zigzag_i32() {
    uint64_t u = uvarint();
    if (u > 0xFFFFFFFFu) fail("int32 out of range");
    uint32_t z = static_cast<uint32_t>(u);
    return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  template <typename E>
  E enumeration(uint64_t max, const char* what) {
    uint64_t v = uvarint();
    if (v > max) fail(std::string("invalid ") + what + " " + std::to_string(v));
    return static_cast<E>(v);
  }
  std::string string() {
    size_t at = pos_;
    uint64_t header = uvarint();
    if ((header & 3) != 2) {
      pos_ = at;
      fail("string header is not UTF-8 (tag 2)");
      return {};
    }
    auto bytes = raw(header >> 2);
    return {bytes.begin(), bytes.end()};
  }
  std::vector<uint8_t> bytes() { return raw(uvarint()); }
  bool boolean() {
    auto b = raw(1);
    if (!b.empty() && b[0] > 1) fail("invalid bool");
    return !b.empty() && b[0] == 1;
  }
  size_t list_header() {
    uint64_t n = uvarint();
    auto h = raw(1);
    if (!h.empty() && h[0] != CanonicalWriter::kListElementHeader) fail("invalid list header");
    if (n > 100'000 || n > in_.size()) fail("list too long");
    return ok() ? static_cast<size_t>(n) : 0;
  }

 private:
  std::vector<uint8_t> raw(uint64_t n) {
    if (!ok()) return {};
    if (n > in_.size() - pos_) {
      fail("length " + std::to_string(n) + " runs past the end");
      return {};
    }
    std::vector<uint8_t> out(in_.begin() + pos_, in_.begin() + pos_ + n);
    pos_ += n;
    return out;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

Result<TypeDef> read_type_def(std::span<const uint8_t> in) {
  CanonicalReader r(in);
  TypeDef td;
  td.kind = r.enumeration<TypeDefKind>(2, "TypeDefKind");
  td.package = r.string();
  td.name = r.string();
  size_t n = r.list_header();
  for (size_t i = 0; i < n && r.ok(); ++i) {
    FieldDef f;
    f.id = r.zigzag_i32();
    f.name = r.string();
    f.type_kind = r.enumeration<TypeKind>(3, "TypeKind");
    f.type_primitive = r.string();
    f.type_ref = r.bytes();
    f.self_ref_name = r.string();
    f.optional = r.boolean();
    f.ref_tracked = r.boolean();
    f.container = r.enumeration<ContainerKind>(3, "ContainerKind");
    f.container_key_kind = r.enumeration<TypeKind>(3, "TypeKind");
    f.container_key_primitive = r.string();
    f.container_key_ref = r.bytes();
    td.fields.push_back(std::move(f));
  }
  n = r.list_header();
  for (size_t i = 0; i < n && r.ok(); ++i) {
    EnumValueDef v;
    v.name = r.string();
    v.value = r.zigzag_i32();
    td.enum_values.push_back(std::move(v));
  }
  n = r.list_header();
  for (size_t i = 0; i < n && r.ok(); ++i) {
    UnionVariantDef v;
    v.name = r.string();
    v.id = r.zigzag_i32();
    v.type_ref = r.bytes();
    td.union_variants.push_back(std::move(v));
  }
  if (r.ok() && !r.at_end()) r.fail("trailing bytes after the TypeDef");
  if (!r.ok()) return r.status();
  return td;
}

}  // namespace aster::contract
