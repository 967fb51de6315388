// ForyWriter / ForyReader: the byte-level primitives of Fory XLANG as pyfory 0.16.0 writes
// them (apache/fory v0.16.0: python/pyfory/buffer.pxi, cpp/fory/util/buffer.h): little-endian
// fixed ints, PVL varints, zig-zag, tagged ints, strings by CPython kind, meta strings with
// per-message dedup (python/pyfory/meta/metastring.py, serialization.pyx `MetaStringResolver`).
//
// Both use a sticky error so the hot path stays branch-light: after the first failure every
// read returns zero and ok() is false; callers check ok() at loop and allocation points.
#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/codec/type_desc.hpp"
#include "aster/status.hpp"

namespace aster::codec {

// Deepest nesting the reader accepts (pyfory's own max_depth is 50: python/pyfory/_fory.py).
inline constexpr int kMaxDecodeDepth = 64;

// Null/ref flags (python/pyfory/serialization.pyx `MapRefResolver.write_ref_or_null`).
inline constexpr uint8_t kNullFlag = 0xfd;         // -3
inline constexpr uint8_t kRefFlag = 0xfe;          // -2, never written with ref=False
inline constexpr uint8_t kNotNullValueFlag = 0xff; // -1
inline constexpr uint8_t kRefValueFlag = 0x00;     // 0, accepted as "value follows"

// Collection element header bits and map chunk header bits (python/pyfory/collection.pxi).
inline constexpr uint8_t kCollTrackingRef = 0x01;
inline constexpr uint8_t kCollHasNull = 0x02;
inline constexpr uint8_t kCollDeclElementType = 0x04;
inline constexpr uint8_t kCollSameType = 0x08;
inline constexpr uint8_t kMapTrackKeyRef = 0x01;
inline constexpr uint8_t kMapKeyHasNull = 0x02;
inline constexpr uint8_t kMapKeyDeclType = 0x04;
inline constexpr uint8_t kMapTrackValueRef = 0x08;
inline constexpr uint8_t kMapValueHasNull = 0x10;
inline constexpr uint8_t kMapValueDeclType = 0x20;

class StructDesc;

class ForyWriter {
 public:
  ForyWriter() = default;
  ForyWriter(const ForyWriter&) = delete;
  ForyWriter& operator=(const ForyWriter&) = delete;
  ~ForyWriter();

  // Starts a new message in the same buffer (keeps capacity; resets meta-string ids).
  void reset() {
    size_ = 0;
    start_message();
  }
  // Starts a message after the bytes written so far (fory_encode_append): a message's own state
  // (meta strings, error) starts empty, its bytes follow what the buffer holds.
  void start_message() {
    meta_count_ = 0;
    meta_overflow_.clear();
    if (!error_.empty()) error_.clear();
  }
  // Registry used to encode untyped struct values (aster::Value fields); optional.
  void set_registry(const TypeRegistry* registry) { registry_ = registry; }
  const TypeRegistry* registry() const { return registry_; }
  bool ok() const { return error_.empty(); }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  const std::string& error() const { return error_; }

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  std::vector<uint8_t> take_vector() const { return {data_, data_ + size_}; }

  void reserve(size_t extra) {
    if (capacity_ - size_ < extra) grow(extra);
  }
  void put_u8(uint8_t v) {
    reserve(1);
    data_[size_++] = v;
  }
  void patch_u8(size_t pos, uint8_t v) { data_[pos] = v; }
  // Overwrites bytes written before (`pos + src.size() <= size()`).
  void patch(size_t pos, std::span<const uint8_t> src) {
    if (!src.empty()) std::memcpy(data_ + pos, src.data(), src.size());
  }
  void put_bytes(const void* p, size_t n) {
    reserve(n);
    if (n) std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  template <typename T>
  void put_fixed(T v) {  // little-endian host (x86-64/aarch64); static_assert in .cpp
    reserve(sizeof(T));
    std::memcpy(data_ + size_, &v, sizeof(T));
    size_ += sizeof(T);
  }
  void put_varuint32(uint32_t v) {
    reserve(5);
    if (v < 0x80) {
      data_[size_++] = static_cast<uint8_t>(v);
      return;
    }
    while (v >= 0x80) {
      data_[size_++] = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    data_[size_++] = static_cast<uint8_t>(v);
  }
  // PVL: at most 9 bytes; the 9th carries bits 56..63 whole (cpp/fory/util/buffer.h
  // `put_var_uint64`).
  void put_varuint64(uint64_t v) {
    reserve(9);
    if (v < 0x80) {  // the common case for lengths, counts and small ints
      data_[size_++] = static_cast<uint8_t>(v);
      return;
    }
    if (v < 0x4000) {
      data_[size_] = static_cast<uint8_t>(v | 0x80);
      data_[size_ + 1] = static_cast<uint8_t>(v >> 7);
      size_ += 2;
      return;
    }
    for (int i = 0; i < 8; ++i) {
      if (v < 0x80) {
        data_[size_++] = static_cast<uint8_t>(v);
        return;
      }
      data_[size_++] = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    data_[size_++] = static_cast<uint8_t>(v);
  }
  void put_varint32(int32_t v) {
    put_varuint32((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
  }
  void put_varint64(int64_t v) {
    put_varuint64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  // TAGGED_INT64: 4 bytes (v<<1) if v fits in 31 bits signed, else 0x01 + 8 bytes.
  void put_tagged_int64(int64_t v) {
    if (v >= -(int64_t{1} << 30) && v < (int64_t{1} << 30)) {
      put_fixed<int32_t>(static_cast<int32_t>(static_cast<uint32_t>(v) << 1));
    } else {
      put_u8(0x01);
      put_fixed<int64_t>(v);
    }
  }
  // TAGGED_UINT64: 4 bytes (v<<1) if v < 2^31, else 0x01 + 8 bytes (checked against pyfory).
  void put_tagged_uint64(uint64_t v) {
    if (v < (uint64_t{1} << 31)) {
      put_fixed<uint32_t>(static_cast<uint32_t>(v << 1));
    } else {
      put_u8(0x01);
      put_fixed<uint64_t>(v);
    }
  }
  // A Python str (python/pyfory/cpp/pyfory.cc `write_python_string`): chooses LATIN1 / UTF16 /
  // UTF8 as CPython's string kind would.
  // Input must be valid UTF-8, otherwise the writer fails.
  void put_string(std::string_view utf8);
  void put_binary(const uint8_t* p, size_t n) {
    put_varuint32(static_cast<uint32_t>(n));
    put_bytes(p, n);
  }
  // One meta string (metastring.py). `key` identifies the owning registered type's object: pyfory
  // deduplicates by object, not content; empty strings share one key.
  void put_meta_string(const EncodedMetaString& meta);
  // NAMED_STRUCT / NAMED_ENUM type info: id + namespace + typename.
  // Root of a struct message: header 02, flag ff, 1d, both meta strings (first use), hash —
  // one precomputed copy (StructDesc::root_prefix) instead of byte-by-byte. After reset() only.
  void put_struct_root_prefix(const StructDesc& desc);
  void put_named_type(uint8_t type_id, const EncodedMetaString& ns, const EncodedMetaString& name) {
    put_u8(type_id);
    put_meta_string(ns);
    put_meta_string(name);
  }

 private:
  void grow(size_t extra);

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  static const void* meta_key(const EncodedMetaString& meta);
  // Meta-string objects written so far in this message; id = index (`MetaStringResolver`).
  static constexpr size_t kInlineMetaIds = 8;
  std::array<const void*, kInlineMetaIds> meta_inline_{};
  std::vector<const void*> meta_overflow_;
  size_t meta_count_ = 0;
  const TypeRegistry* registry_ = nullptr;
  std::string error_;
};

class ForyReader {
 public:
  explicit ForyReader(std::span<const uint8_t> data)
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()) {}

  // Registry used to resolve struct/enum names of untyped values; optional.
  void set_registry(const TypeRegistry* registry) { registry_ = registry; }
  const TypeRegistry* registry() const { return registry_; }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string message);
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t offset(std::span<const uint8_t> whole) const { return static_cast<size_t>(p_ - whole.data()); }

  // Depth guard: enter() fails past kMaxDecodeDepth.
  bool enter() {
    if (++depth_ > kMaxDecodeDepth) {
      fail("nesting deeper than " + std::to_string(kMaxDecodeDepth) + " levels");
      return false;
    }
    return true;
  }
  void leave() { --depth_; }

  // Returns false (and fails) unless n more bytes are present.
  bool need(size_t n, const char* what) {
    if (static_cast<size_t>(end_ - p_) >= n) return true;
    fail_truncated(what, n);
    return false;
  }
  uint8_t get_u8() {
    if (p_ == end_) {
      fail_truncated("byte", 1);
      return 0;
    }
    return *p_++;
  }
  template <typename T>
  T get_fixed() {
    T v{};
    if (!need(sizeof(T), "fixed-width value")) return v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  uint32_t get_varuint32() {
    if (end_ - p_ >= 5 || (p_ != end_ && p_[0] < 0x80)) {
      uint32_t b = *p_++;
      if (b < 0x80) return b;
      uint32_t v = b & 0x7f;
      for (int shift = 7; shift < 35; shift += 7) {
        b = *p_++;
        v |= (b & 0x7f) << shift;
        if (b < 0x80) return v;
      }
      fail("malformed varuint32 (more than 5 bytes)");
      return 0;
    }
    return get_varuint32_slow();
  }
  uint64_t get_varuint64() {
    if (end_ - p_ >= 9) {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) {
        uint64_t b = *p_++;
        v |= (b & 0x7f) << (7 * i);
        if (b < 0x80) return v;
      }
      return v | (uint64_t{*p_++} << 56);
    }
    return get_varuint64_slow();
  }
  int32_t get_varint32() {
    uint32_t u = get_varuint32();
    return static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  int64_t get_varint64() {
    uint64_t u = get_varuint64();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  int64_t get_tagged_int64() {
    if (!need(4, "tagged int64")) return 0;
    int32_t i;
    std::memcpy(&i, p_, 4);
    if ((i & 1) == 0) {
      p_ += 4;
      return i >> 1;
    }
    ++p_;
    return get_fixed<int64_t>();
  }
  uint64_t get_tagged_uint64() {
    if (!need(4, "tagged uint64")) return 0;
    uint32_t i;
    std::memcpy(&i, p_, 4);
    if ((i & 1) == 0) {
      p_ += 4;
      return i >> 1;
    }
    ++p_;
    return get_fixed<uint64_t>();
  }
  // A view of the next n bytes (checked), advancing past them.
  const uint8_t* take(size_t n, const char* what) {
    if (!need(n, what)) return nullptr;
    const uint8_t* p = p_;
    p_ += n;
    return p;
  }
  // Reads a string in any encoding pyfory writes (0 LATIN1, 1 UTF16, 2 UTF8) into UTF-8.
  void get_string(std::string& out);
  std::string get_string() {
    std::string s;
    get_string(s);
    return s;
  }
  // Reads BINARY (varuint32 length + bytes).
  void get_binary(std::vector<uint8_t>& out);
  // Reads a meta string (literal or back-reference) and returns its index in the per-message
  // table; the decoded text is meta_text(index).
  int get_meta_string(bool is_namespace);
  // Registers meta strings the caller matched byte-for-byte (root prefix fast path).
  void add_known_meta(const EncodedMetaString& meta, bool is_namespace);
  // Next byte without consuming it; only when remaining() > 0.
  uint8_t peek_u8() const { return *p_; }
  // Skips n bytes already validated by the caller.
  void skip(size_t n) { p_ += n; }
  // Decoded text of a meta string (decoded on first use; "<invalid meta string>" if corrupt).
  const std::string& meta_text(int index) const;
  // True if meta string `index` is `text` (encoded as `meta`): compares the raw bytes first, so
  // the hot path never decodes; falls back to the text for other writers' encoding choices.
  bool meta_equals(int index, const EncodedMetaString& meta, std::string_view text) const;
  // Reads a collection/map count and checks it against the remaining bytes (each entry takes at
  // least `min_entry_bytes`), so hostile counts never drive allocation.
  uint32_t get_count(const char* what, size_t min_entry_bytes = 1);

 private:
  uint32_t get_varuint32_slow();
  uint64_t get_varuint64_slow();
  void fail_truncated(const char* what, size_t n);

  const uint8_t* begin_;  // for the byte offset in error messages
  const uint8_t* p_;
  const uint8_t* end_;
  int depth_ = 0;
  struct MetaEntry {  // trivially copyable: the decode hot path never builds strings
    uint8_t encoding = 0;
    bool is_namespace = false;
    std::string_view raw;  // into the input buffer (or a StructDesc for known prefixes)
    mutable int text = -1;  // index into decoded_texts_ once decoded
  };
  MetaEntry& meta_entry(size_t i) { return i < kInlineMeta ? meta_inline_[i] : meta_overflow_[i - kInlineMeta]; }
  const MetaEntry& meta_entry(size_t i) const {
    return i < kInlineMeta ? meta_inline_[i] : meta_overflow_[i - kInlineMeta];
  }
  static constexpr size_t kInlineMeta = 4;  // typical messages name ≤ 2 types: no allocation
  std::array<MetaEntry, kInlineMeta> meta_inline_;
  std::vector<MetaEntry> meta_overflow_;
  size_t meta_count_ = 0;
  // Owned by pointer so meta_text() references stay valid (and nothing allocates until used).
  mutable std::vector<std::unique_ptr<std::string>> decoded_texts_;
  const TypeRegistry* registry_ = nullptr;
  std::string error_;
};

// MurmurHash3_x64_128 (seed) → first 64-bit word h1 (python/pyfory/struct.py).
uint64_t murmur3_x64_128_h1(std::string_view data, uint32_t seed);
// Meta string encoding (python/pyfory/meta/metastring.py) for a namespace or a typename.
EncodedMetaString encode_meta_string(std::string_view text, bool is_namespace);
// Inverse, for readers.
Result<std::string> decode_meta_string(uint8_t encoding, std::string_view bytes, bool is_namespace);

}  // namespace aster::codec
