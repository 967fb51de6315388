// Byte-level Fory XLANG primitives (pyfory 0.16.0 python/pyfory/buffer.pxi, meta/metastring.py).
#include "aster/codec/detail/fory_buffer.hpp"

#include "aster/codec/type_desc.hpp"

#include <murmurhash.h>

#include <bit>
#include <cstdlib>
#include <utility>

namespace aster::codec {

static_assert(std::endian::native == std::endian::little,
              "ForyWriter/ForyReader copy fixed-width values as little-endian host values");

// ---- writer ---------------------------------------------------------------------------------

namespace {

// One buffer per thread kept from the last ForyWriter that ended: every message encoded
// starts a writer, and an RPC call encodes four (header, request, response, status), each
// allocating its first 256 bytes anew (uprobes on tcmalloc in `aster_rpc_bench local --only
// unary64`). Buffers up to kSpareMax are kept; a writer inside another's lifetime finds none.
struct SpareBuffer {
  static constexpr size_t kSpareMax = 64 * 1024;
  uint8_t* data = nullptr;
  size_t capacity = 0;
  bool closed = false;
  // Cleared and closed, not just freed: a writer used or ended after this thread_local was
  // destroyed (from another thread_local's destructor) must neither take the freed buffer
  // nor leave its own here.
  ~SpareBuffer() {
    delete[] std::exchange(data, nullptr);
    closed = true;
  }
};
thread_local SpareBuffer spare;

}  // namespace

ForyWriter::~ForyWriter() {
  if (data_ != nullptr && spare.data == nullptr && !spare.closed &&
      capacity_ <= SpareBuffer::kSpareMax) {
    spare.data = data_;
    spare.capacity = capacity_;
    return;
  }
  delete[] data_;
}

void ForyWriter::grow(size_t extra) {
  size_t want = size_ + extra;
  if (data_ == nullptr && spare.data != nullptr && spare.capacity >= want) {
    data_ = std::exchange(spare.data, nullptr);
    capacity_ = spare.capacity;
    return;
  }
  size_t cap = capacity_ ? capacity_ : 256;
  while (cap < want) cap *= 2;
  auto* next = new uint8_t[cap];  // no value-initialisation: bytes are always written first
  if (size_) std::memcpy(next, data_, size_);
  delete[] data_;
  data_ = next;
  capacity_ = cap;
}

namespace {

// Decodes one UTF-8 sequence at s[i]; returns the code point or -1 if invalid (overlong,
// surrogate, > U+10FFFF, truncated) and advances i.
inline int32_t next_code_point(std::string_view s, size_t& i) {
  auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t n;
  int32_t cp;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (s.size() - i < n) return -1;
  for (size_t k = 1; k < n; ++k) {
    auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  i += n;
  return cp;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

inline bool all_ascii(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ull) return false;
  }
  for (; i < n; ++i)
    if (p[i] & 0x80) return false;
  return true;
}

}  // namespace

// pyfory.cc `write_python_string`: header = (byte_len << 2) | encoding, as varuint64; encoding
// follows CPython's kind.
void ForyWriter::put_string(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  if (all_ascii(p, s.size())) {  // ASCII is LATIN1 with identical bytes
    put_varuint64(static_cast<uint64_t>(s.size()) << 2);
    put_bytes(p, s.size());
    return;
  }
  int32_t max_cp = 0;
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    int32_t cp = next_code_point(s, i);
    if (cp < 0) {
      fail("string is not valid UTF-8 (Python str cannot hold it)");
      return;
    }
    max_cp = std::max(max_cp, cp);
    ++chars;
  }
  if (max_cp <= 0xff) {
    put_varuint64(static_cast<uint64_t>(chars) << 2);
    reserve(chars);
    for (size_t i = 0; i < s.size();) data_[size_++] = static_cast<uint8_t>(next_code_point(s, i));
  } else if (max_cp <= 0xffff) {
    put_varuint64((static_cast<uint64_t>(chars) * 2 << 2) | 1);
    reserve(chars * 2);
    for (size_t i = 0; i < s.size();) {
      auto cp = static_cast<uint16_t>(next_code_point(s, i));
      data_[size_++] = static_cast<uint8_t>(cp);
      data_[size_++] = static_cast<uint8_t>(cp >> 8);
    }
  } else {
    put_varuint64((static_cast<uint64_t>(s.size()) << 2) | 2);
    put_bytes(p, s.size());
  }
}

// `MetaStringResolver`: first occurrence in this message → literal; later → back-reference by
// id. The key is the EncodedMetaString object of the registered type (pyfory dedups per object),
// except that all empty strings share pyfory's EMPTY_META_STRING_BYTES singleton.
const void* ForyWriter::meta_key(const EncodedMetaString& meta) {
  static const int kEmptyKey = 0;  // pyfory's EMPTY_META_STRING_BYTES singleton
  return meta.bytes.empty() ? static_cast<const void*>(&kEmptyKey) : &meta;
}

void ForyWriter::put_meta_string(const EncodedMetaString& meta) {
  const void* key = meta_key(meta);
  for (size_t id = 0; id < meta_count_; ++id) {
    const void* k = id < kInlineMetaIds ? meta_inline_[id] : meta_overflow_[id - kInlineMetaIds];
    if (k == key) {
      put_varuint32(static_cast<uint32_t>(((id + 1) << 1) | 1));
      return;
    }
  }
  if (meta_count_ < kInlineMetaIds) meta_inline_[meta_count_] = key;
  else meta_overflow_.push_back(key);
  ++meta_count_;
  size_t len = meta.bytes.size();
  put_varuint32(static_cast<uint32_t>(len << 1));
  if (len == 0) return;
  if (len <= 16) {
    put_u8(meta.encoding);
  } else {
    put_fixed<int64_t>(meta.long_hash);
  }
  put_bytes(meta.bytes.data(), len);
}

void ForyWriter::put_struct_root_prefix(const StructDesc& desc) {
  const std::string& prefix = desc.root_prefix();
  put_bytes(prefix.data(), prefix.size());
  meta_inline_[0] = meta_key(desc.ns_meta());
  meta_inline_[1] = meta_key(desc.name_meta());
  meta_count_ = 2;
}

// ---- reader ---------------------------------------------------------------------------------

void ForyReader::fail(std::string message) {
  // The offset is where reading stood when the problem showed: tools print it so a user can
  // find the bad byte in a hex dump.
  if (error_.empty()) error_ = "at byte " + std::to_string(p_ - begin_) + ": " + message;
  p_ = end_;  // stop consuming: every later read fails fast
}

void ForyReader::fail_truncated(const char* what, size_t n) {
  if (!error_.empty()) return;
  fail(std::string("truncated input: ") + what + " needs " + std::to_string(n) + " bytes, " +
       std::to_string(remaining()) + " left");
}

uint32_t ForyReader::get_varuint32_slow() {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (p_ == end_) {
      fail_truncated("varuint32", 1);
      return 0;
    }
    uint32_t b = *p_++;
    v |= (b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
  fail("malformed varuint32 (more than 5 bytes)");
  return 0;
}

uint64_t ForyReader::get_varuint64_slow() {
  uint64_t v = 0;
  for (int i = 0; i < 9; ++i) {
    if (p_ == end_) {
      fail_truncated("varuint64", 1);
      return 0;
    }
    uint64_t b = *p_++;
    if (i == 8) return v | (b << 56);
    v |= (b & 0x7f) << (7 * i);
    if (b < 0x80) return v;
  }
  return v;
}

void ForyReader::get_string(std::string& out) {
  out.clear();
  uint64_t header = get_varuint64();
  if (!ok()) return;
  uint64_t len = header >> 2;
  auto enc = static_cast<unsigned>(header & 3);
  if (len > remaining()) {
    fail("string length " + std::to_string(len) + " exceeds the " + std::to_string(remaining()) +
         " bytes left");
    return;
  }
  const uint8_t* p = p_;
  p_ += len;
  switch (enc) {
    case 0:  // LATIN1
      if (all_ascii(p, len)) {
        out.assign(reinterpret_cast<const char*>(p), len);
      } else {
        out.reserve(len * 2);
        for (size_t i = 0; i < len; ++i) append_utf8(out, p[i]);
      }
      return;
    case 1: {  // UTF-16LE, may hold surrogate pairs
      if (len % 2) {
        fail("UTF-16 string with odd byte length " + std::to_string(len));
        return;
      }
      out.reserve(len * 3 / 2);
      for (size_t i = 0; i < len; i += 2) {
        uint32_t u = p[i] | (uint32_t{p[i + 1]} << 8);
        if (u >= 0xd800 && u <= 0xdbff && i + 3 < len) {
          uint32_t lo = p[i + 2] | (uint32_t{p[i + 3]} << 8);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
            i += 2;
            continue;
          }
        }
        if (u >= 0xd800 && u <= 0xdfff) {
          fail("UTF-16 string holds a lone surrogate (not representable as UTF-8)");
          return;
        }
        append_utf8(out, u);
      }
      return;
    }
    case 2: {  // UTF-8: validate so every decoded string is valid UTF-8
      std::string_view sv(reinterpret_cast<const char*>(p), len);
      if (!all_ascii(p, len)) {
        for (size_t i = 0; i < len;) {
          if (next_code_point(sv, i) < 0) {
            fail("UTF-8 string is not valid UTF-8");
            return;
          }
        }
      }
      out.assign(sv);
      return;
    }
    default:
      fail("unknown string encoding 3");
      return;
  }
}

void ForyReader::get_binary(std::vector<uint8_t>& out) {
  uint32_t len = get_varuint32();
  if (!ok()) return;
  if (len > remaining()) {
    fail("bytes length " + std::to_string(len) + " exceeds the " + std::to_string(remaining()) +
         " bytes left");
    return;
  }
  out.assign(p_, p_ + len);
  p_ += len;
}

uint32_t ForyReader::get_count(const char* what, size_t min_entry_bytes) {
  uint32_t n = get_varuint32();
  if (ok() && n > 0 && static_cast<uint64_t>(n) * min_entry_bytes > remaining() + 1) {
    // +1: the element header byte is counted in remaining() but is not an element.
    fail(std::string(what) + " count " + std::to_string(n) + " exceeds the " +
         std::to_string(remaining()) + " bytes left");
    return 0;
  }
  return n;
}

int ForyReader::get_meta_string(bool is_namespace) {
  uint32_t header = get_varuint32();
  if (!ok()) return -1;
  uint32_t len = header >> 1;
  if (header & 1) {
    if (len == 0 || len > meta_count_) {
      fail("meta string back-reference " + std::to_string(len) + " to unknown id");
      return -1;
    }
    return static_cast<int>(len - 1);
  }
  MetaEntry e;
  e.is_namespace = is_namespace;
  if (len > 0) {
    if (len <= 16) {
      e.encoding = get_u8();
    } else {
      e.encoding = static_cast<uint8_t>(get_fixed<int64_t>() & 0xff);  // low byte of the hash
    }
    const uint8_t* p = take(len, "meta string");
    if (!ok()) return -1;
    e.raw = std::string_view(reinterpret_cast<const char*>(p), len);
  }
  if (meta_count_ < kInlineMeta) meta_inline_[meta_count_] = e;
  else meta_overflow_.push_back(e);
  return static_cast<int>(meta_count_++);
}

void ForyReader::add_known_meta(const EncodedMetaString& meta, bool is_namespace) {
  MetaEntry e;
  e.encoding = meta.encoding;
  e.is_namespace = is_namespace;
  e.raw = meta.bytes;
  if (meta_count_ < kInlineMeta) meta_inline_[meta_count_] = e;
  else meta_overflow_.push_back(e);
  ++meta_count_;
}

const std::string& ForyReader::meta_text(int index) const {
  const MetaEntry& e = meta_entry(static_cast<size_t>(index));
  if (e.text < 0) {
    auto text = decode_meta_string(e.encoding, e.raw, e.is_namespace);
    decoded_texts_.push_back(std::make_unique<std::string>(
        text.is_ok() ? std::move(*text) : std::string("<invalid meta string>")));
    e.text = static_cast<int>(decoded_texts_.size() - 1);
  }
  return *decoded_texts_[static_cast<size_t>(e.text)];
}

bool ForyReader::meta_equals(int index, const EncodedMetaString& meta, std::string_view text) const {
  const MetaEntry& e = meta_entry(static_cast<size_t>(index));
  if (e.raw.empty()) return text.empty();
  if (e.encoding == meta.encoding && e.raw == meta.bytes) return true;
  return meta_text(index) == text;
}

// ---- hashing and meta strings -----------------------------------------------------------------

uint64_t murmur3_x64_128_h1(std::string_view data, uint32_t seed) {
  uint64_t out[2];
  lmmh_x64_128(data.data(), static_cast<unsigned>(data.size()), seed, out);
  return out[0];
}

namespace {

enum MetaEncoding : uint8_t {
  kUtf8 = 0,
  kLowerSpecial = 1,
  kLowerUpperDigitSpecial = 2,
  kFirstToLowerSpecial = 3,
  kAllToLowerSpecial = 4,
};

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int char_value5(char c) {
  if (is_lower(c)) return c - 'a';
  switch (c) {
    case '.': return 26;
    case '_': return 27;
    case '$': return 28;
    case '|': return 29;
  }
  return -1;
}

std::string pack(std::string_view chars, int bits, char special1, char special2) {
  size_t total_bits = chars.size() * bits + 1;
  size_t len = (total_bits + 7) / 8;
  std::string out(len, '\0');
  size_t bit = 1;
  for (char c : chars) {
    int v;
    if (bits == 5) {
      v = char_value5(c);
    } else if (is_lower(c)) {
      v = c - 'a';
    } else if (is_upper(c)) {
      v = 26 + (c - 'A');
    } else if (is_digit(c)) {
      v = 52 + (c - '0');
    } else {
      v = c == special1 ? 62 : 63;
      (void)special2;
    }
    for (int i = bits - 1; i >= 0; --i, ++bit) {
      if (v & (1 << i)) out[bit / 8] = static_cast<char>(out[bit / 8] | (1 << (7 - bit % 8)));
    }
  }
  if (len * 8 >= total_bits + bits) out[0] = static_cast<char>(out[0] | 0x80);  // strip flag
  return out;
}

}  // namespace

// `compute_encoding` of pyfory's MetaStringEncoder (metastring.py), ASCII only (pyfory's non-ASCII
// letter handling crashes its own encoder, so no Aster name contains them).
EncodedMetaString encode_meta_string(std::string_view s, bool is_namespace) {
  EncodedMetaString m;
  if (s.empty()) return m;
  const char special1 = is_namespace ? '.' : '$';
  const char special2 = '_';
  bool lower_special = true, luds = true;
  size_t digits = 0, uppers = 0;
  bool ascii = true;
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    if (!(is_lower(c) || c == '.' || c == '_' || c == '$' || c == '|')) lower_special = false;
    if (!(is_lower(c) || is_upper(c) || is_digit(c) || c == special1 || c == special2)) luds = false;
    digits += is_digit(c);
    uppers += is_upper(c);
  }
  if (ascii && lower_special) {
    m.encoding = kLowerSpecial;
    m.bytes = pack(s, 5, special1, special2);
  } else if (ascii && luds) {
    size_t n = s.size();
    if (digits != 0) {
      m.encoding = kLowerUpperDigitSpecial;
      m.bytes = pack(s, 6, special1, special2);
    } else if (uppers == 1 && is_upper(s[0])) {
      m.encoding = kFirstToLowerSpecial;
      std::string lowered(s);
      lowered[0] = static_cast<char>(lowered[0] - 'A' + 'a');
      m.bytes = pack(lowered, 5, special1, special2);
    } else if ((n + uppers) * 5 < n * 6) {
      m.encoding = kAllToLowerSpecial;
      std::string escaped;
      for (char c : s) {
        if (is_upper(c)) {
          escaped += '|';
          escaped += static_cast<char>(c - 'A' + 'a');
        } else {
          escaped += c;
        }
      }
      m.bytes = pack(escaped, 5, special1, special2);
    } else {
      m.encoding = kLowerUpperDigitSpecial;
      m.bytes = pack(s, 6, special1, special2);
    }
  } else {
    m.encoding = kUtf8;
    m.bytes = std::string(s);
  }
  if (m.bytes.size() > 16) {
    uint64_t h = murmur3_x64_128_h1(m.bytes, 47);
    m.long_hash = static_cast<int64_t>((h & ~uint64_t{0xff}) | m.encoding);
  }
  return m;
}

Result<std::string> decode_meta_string(uint8_t encoding, std::string_view data, bool is_namespace) {
  const char special1 = is_namespace ? '.' : '$';
  if (encoding == kUtf8) return std::string(data);
  if (encoding > kAllToLowerSpecial)
    return Status(StatusCode::kInvalidArgument,
                  "unknown meta string encoding " + std::to_string(encoding));
  if (data.empty()) return std::string();
  int bits = encoding == kLowerUpperDigitSpecial ? 6 : 5;
  size_t num_bits = data.size() * 8;
  bool strip = static_cast<uint8_t>(data[0]) & 0x80;
  std::string out;
  size_t bit = 1;
  while (bit + bits <= num_bits && !(strip && bit + 2 * bits > num_bits)) {
    int v = 0;
    for (int i = 0; i < bits; ++i, ++bit)
      v = (v << 1) | ((static_cast<uint8_t>(data[bit / 8]) >> (7 - bit % 8)) & 1);
    char c;
    if (bits == 5) {
      static constexpr char kTable[] = "abcdefghijklmnopqrstuvwxyz._$|";
      if (v >= 30)
        return Status(StatusCode::kInvalidArgument, "invalid 5-bit meta string character");
      c = kTable[v];
    } else if (v < 26) {
      c = static_cast<char>('a' + v);
    } else if (v < 52) {
      c = static_cast<char>('A' + v - 26);
    } else if (v < 62) {
      c = static_cast<char>('0' + v - 52);
    } else {
      c = v == 62 ? special1 : '_';
    }
    out += c;
  }
  if (encoding == kFirstToLowerSpecial && !out.empty() && is_lower(out[0])) {
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  } else if (encoding == kAllToLowerSpecial) {
    std::string restored;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == '|' && i + 1 < out.size() && is_lower(out[i + 1])) {
        restored += static_cast<char>(out[++i] - 'a' + 'A');
      } else {
        restored += out[i];
      }
    }
    out = std::move(restored);
  }
  return out;
}

}  // namespace aster::codec
