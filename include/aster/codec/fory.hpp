// Fory XLANG encode/decode, byte-identical with pyfory 0.16.0 (fory-xlang.md).
//
//   #include "aster/codec/fory.hpp"
//   aster::codec::ForyWriter w;                          // reusable buffer (hot path)
//   ASTER_RETURN_IF_ERROR(aster::codec::fory_encode_to(header, w));   // w.bytes()
//   Result<std::vector<uint8_t>> bytes = aster::codec::fory_encode(header);
//   Result<aster::wire::CallHeader> h = aster::codec::fory_decode<CallHeader>(bytes);
//
//   // Dynamic (no C++ type): needs the TypeDesc (e.g. built from a manifest).
//   Result<std::vector<uint8_t>> b = aster::codec::fory_encode_value(value, *type);
//   Result<aster::Value> v = aster::codec::fory_decode_value(b, *type);
//   // Fully self-describing read (root type info resolved in `registry`):
//   Result<aster::Value> any = aster::codec::fory_decode_any(b, registry);
//
// Every decode returns a Status (INVALID_ARGUMENT with the byte offset) on bad input; nesting
// is bounded (kMaxDecodeDepth) and every length is checked before allocating.
#pragma once

#include <span>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/codec/detail/fory_buffer.hpp"
#include "aster/codec/value.hpp"

namespace aster::codec {

namespace detail {
Status writer_status(const ForyWriter& w);
Status reader_status(const ForyReader& r, std::span<const uint8_t> data);
// Header byte (pyfory 0.16.0 pyfory/serialization.pyx Fory._serialize) + root flag; returns
// false if the root is None.
bool read_root_prefix(ForyReader& r);
}  // namespace detail

// Appends one complete message after the bytes w holds already (a frame prefix, say), so that
// a caller framing the message needs no second buffer. A failed encode leaves w's bytes
// undefined.
template <DeclaredMessage T>
Status fory_encode_append(const T& value, ForyWriter& w) {
  w.start_message();
  // Header 0x02 (xlang bit; pyfory 0.16.0 pyfory/serialization.pyx Fory._serialize), root
  // flag ff, NAMED_STRUCT type info, hash: precomputed.
  const StructDesc& desc = struct_desc<T>();
  w.put_struct_root_prefix(desc);
  detail::write_struct_body(w, desc, &value);
  return detail::writer_status(w);
}

// Appends one complete message (header 0x02, root flag, type info, data) to w after w.reset().
template <DeclaredMessage T>
Status fory_encode_to(const T& value, ForyWriter& w) {
  w.reset();
  return fory_encode_append(value, w);
}

template <DeclaredMessage T>
Result<std::vector<uint8_t>> fory_encode(const T& value) {
  ForyWriter w;
  ASTER_RETURN_IF_ERROR(fory_encode_to(value, w));
  return w.take_vector();
}

template <DeclaredMessage T>
Status fory_decode_into(std::span<const uint8_t> data, T& out) {
  ForyReader r(data);
  const StructDesc& desc = struct_desc<T>();
  if (detail::read_known_root_prefix(r, data, desc)) {  // the common case: exact prefix
    detail::read_struct_body(r, desc, &out);
    if (r.ok() && r.remaining() != 0)
      r.fail(std::to_string(r.remaining()) + " trailing bytes after the message");
  } else if (!detail::read_root_prefix(r)) {
    if (r.ok()) r.fail("root is None but a " + struct_desc<T>().tag() + " was expected");
  } else {
    detail::Codec<T>::check_type_info(r);
    if (r.ok()) detail::Codec<T>::read_data(r, out);
    if (r.ok() && r.remaining() != 0)
      r.fail(std::to_string(r.remaining()) + " trailing bytes after the message");
  }
  return detail::reader_status(r, data);
}

template <DeclaredMessage T>
Result<T> fory_decode(std::span<const uint8_t> data) {
  T out{};
  Status st = fory_decode_into(data, out);
  if (!st.is_ok()) return st;
  return out;
}

// Dynamic path. `type` is the root's type (usually kStruct); the Value must fit it.
Status fory_encode_value_to(const Value& value, const TypeDesc& type, ForyWriter& w);
Result<std::vector<uint8_t>> fory_encode_value(const Value& value, const TypeDesc& type);
Result<Value> fory_decode_value(std::span<const uint8_t> data, const TypeDesc& type);
// Root without a declared type: struct/enum names are looked up in `registry`.
Result<Value> fory_decode_any(std::span<const uint8_t> data, const TypeRegistry& registry);
// Untyped root as pyfory writes a bare Python value (null/bool/int/float/str/bytes/list/dict,
// and structs carrying their tag when `registry` knows it).
Status fory_encode_any_to(const Value& value, const TypeRegistry& registry, ForyWriter& w);

}  // namespace aster::codec
