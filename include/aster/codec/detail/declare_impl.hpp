// Implementation of declare.hpp: the type mapping (TypeOf), the static Fory codec (Codec<T>)
// and the static ↔ Value bridge. Included by declare.hpp; not for direct use.
//
// Positions (pyfory 0.16.0 python/pyfory/struct.pxi `_write_field_value`): a value is written
//   - in a struct field:     bare data; named structs and untyped values add their type info;
//                            Optional adds a ff/fd flag first;
//   - as a declared element: bare data (structs: hash + fields, no type id);
//   - at the root:           ff + type info + data.
#pragma once

#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

// declare.hpp includes this file at its end; including it first works too (pragma once).
#include "aster/codec/declare.hpp"
#include "aster/codec/detail/fory_buffer.hpp"
#include "aster/codec/value.hpp"

namespace aster::codec {

// Type-erased access to one member of a declared struct (FieldDesc::access).
struct FieldAccess {
  void (*write)(ForyWriter& w, const void* object);
  void (*read)(ForyReader& r, void* object);
  Value (*to_value)(const void* object);
  Status (*from_value)(const Value& v, void* object);
  // The member of a value-initialized object (`T{}`): what a manifest reports as the field's
  // default, as 0.1.2 reports the dataclass default (contract/manifest.py). Null when T is not
  // default-constructible.
  Value (*default_value)();
};

// Untyped values (aster::Value in a struct, or `list`/`dict` without parameters): written with
// their own type info, as pyfory writes an object it has no declared serializer for. Defined in
// the dynamic codec (fory_value.cpp).
void write_any(ForyWriter& w, const Value& v);
void read_any(ForyReader& r, Value& out);

namespace detail {

std::recursive_mutex& desc_mutex();
Status value_kind_error(const Value& v, std::string_view expected);

template <typename T, typename = void>
struct Codec;  // specialised below; an error here means T is not a supported message type

template <typename T>
concept NullableCodec = Codec<T>::kNullable;

// ---- scalars --------------------------------------------------------------------------------

template <typename T, TypeKind K>
struct ScalarCodecBase {
  static constexpr bool kNullable = false;
  static constexpr bool kTypeInfoInField = false;
  static TypeRef desc() { return TypeDesc::scalar(K); }
  static void write_type_info(ForyWriter& w) {
    w.put_u8(static_cast<uint8_t>(fory_type_id_of(K)));
  }
  static void check_type_info(ForyReader& r) {
    uint8_t id = r.get_u8();
    if (r.ok() && id != static_cast<uint8_t>(fory_type_id_of(K)))
      r.fail("expected type id " + std::to_string(int(fory_type_id_of(K))) + " (" +
             std::string(type_kind_name(K)) + "), found " + std::to_string(int(id)));
  }
};

template <typename T>
Status int_from_value(const Value& v, T& out) {
  if (v.kind() == Value::Kind::kInt) {
    int64_t i = v.as_int();
    if constexpr (std::is_signed_v<T>) {
      if (i >= std::numeric_limits<T>::min() && i <= std::numeric_limits<T>::max()) {
        out = static_cast<T>(i);
        return {};
      }
    } else {
      if (i >= 0 && static_cast<uint64_t>(i) <= std::numeric_limits<T>::max()) {
        out = static_cast<T>(i);
        return {};
      }
    }
    return Status(StatusCode::kInvalidArgument, "integer " + std::to_string(i) + " out of range");
  }
  if (v.kind() == Value::Kind::kUint && std::is_same_v<T, uint64_t>) {
    out = static_cast<T>(v.as_uint());
    return {};
  }
  return value_kind_error(v, "int");
}

#define ASTER_CODEC_INT(CppType, Kind, PUT, GET)                                          \
  template <>                                                                            \
  struct Codec<CppType> : ScalarCodecBase<CppType, TypeKind::Kind> {                     \
    static void write_data(ForyWriter& w, CppType v) { w.PUT; }                           \
    static void read_data(ForyReader& r, CppType& v) { v = static_cast<CppType>(r.GET); } \
    static Value to_value(CppType v) { return Value(v); }                                 \
    static Status from_value(const Value& x, CppType& v) { return int_from_value(x, v); } \
  };
ASTER_CODEC_INT(int8_t, kInt8, put_u8(static_cast<uint8_t>(v)), get_u8())
ASTER_CODEC_INT(int16_t, kInt16, put_fixed<int16_t>(v), get_fixed<int16_t>())
ASTER_CODEC_INT(int32_t, kInt32, put_varint32(v), get_varint32())
ASTER_CODEC_INT(int64_t, kInt64, put_varint64(v), get_varint64())
ASTER_CODEC_INT(uint8_t, kUint8, put_u8(v), get_u8())
ASTER_CODEC_INT(uint16_t, kUint16, put_fixed<uint16_t>(v), get_fixed<uint16_t>())
ASTER_CODEC_INT(uint32_t, kUint32, put_varuint32(v), get_varuint32())
ASTER_CODEC_INT(uint64_t, kUint64, put_varuint64(v), get_varuint64())
#undef ASTER_CODEC_INT

template <typename T, TypeKind K>
struct WrappedIntCodec : ScalarCodecBase<T, K> {
  using Raw = decltype(T{}.value);
  static void write_data(ForyWriter& w, T v) {
    if constexpr (K == TypeKind::kTaggedInt64) w.put_tagged_int64(v.value);
    else if constexpr (K == TypeKind::kTaggedUint64) w.put_tagged_uint64(v.value);
    else w.put_fixed<Raw>(v.value);
  }
  static void read_data(ForyReader& r, T& v) {
    if constexpr (K == TypeKind::kTaggedInt64) v.value = r.get_tagged_int64();
    else if constexpr (K == TypeKind::kTaggedUint64) v.value = r.get_tagged_uint64();
    else v.value = r.get_fixed<Raw>();
  }
  static Value to_value(T v) { return Value(v.value); }
  static Status from_value(const Value& x, T& v) { return int_from_value(x, v.value); }
};
template <>
struct Codec<Fixed<int32_t>> : WrappedIntCodec<Fixed<int32_t>, TypeKind::kFixedInt32> {};
template <>
struct Codec<Fixed<int64_t>> : WrappedIntCodec<Fixed<int64_t>, TypeKind::kFixedInt64> {};
template <>
struct Codec<Fixed<uint32_t>> : WrappedIntCodec<Fixed<uint32_t>, TypeKind::kFixedUint32> {};
template <>
struct Codec<Fixed<uint64_t>> : WrappedIntCodec<Fixed<uint64_t>, TypeKind::kFixedUint64> {};
template <>
struct Codec<Tagged<int64_t>> : WrappedIntCodec<Tagged<int64_t>, TypeKind::kTaggedInt64> {};
template <>
struct Codec<Tagged<uint64_t>> : WrappedIntCodec<Tagged<uint64_t>, TypeKind::kTaggedUint64> {};

template <>
struct Codec<bool> : ScalarCodecBase<bool, TypeKind::kBool> {
  static void write_data(ForyWriter& w, bool v) { w.put_u8(v ? 1 : 0); }
  static void read_data(ForyReader& r, bool& v) { v = r.get_u8() != 0; }
  static Value to_value(bool v) { return Value(v); }
  static Status from_value(const Value& x, bool& v) {
    if (x.kind() != Value::Kind::kBool) return value_kind_error(x, "bool");
    v = x.as_bool();
    return {};
  }
};

template <typename F, TypeKind K>
struct FloatCodec : ScalarCodecBase<F, K> {
  static void write_data(ForyWriter& w, F v) { w.put_fixed<F>(v); }
  static void read_data(ForyReader& r, F& v) { v = r.get_fixed<F>(); }
  static Value to_value(F v) { return Value(static_cast<double>(v)); }
  static Status from_value(const Value& x, F& v) {
    if (x.kind() == Value::Kind::kFloat) v = static_cast<F>(x.as_float());
    else if (x.kind() == Value::Kind::kInt) v = static_cast<F>(x.as_int());
    else return value_kind_error(x, "float");
    return {};
  }
};
template <>
struct Codec<float> : FloatCodec<float, TypeKind::kFloat32> {};
template <>
struct Codec<double> : FloatCodec<double, TypeKind::kFloat64> {};

template <>
struct Codec<std::string> : ScalarCodecBase<std::string, TypeKind::kString> {
  static void write_data(ForyWriter& w, const std::string& v) { w.put_string(v); }
  static void read_data(ForyReader& r, std::string& v) { r.get_string(v); }
  static Value to_value(const std::string& v) { return Value(v); }
  static Status from_value(const Value& x, std::string& v) {
    if (x.kind() != Value::Kind::kString) return value_kind_error(x, "string");
    v = x.as_string();
    return {};
  }
};

template <>
struct Codec<Bytes> : ScalarCodecBase<Bytes, TypeKind::kBytes> {
  static void write_data(ForyWriter& w, const Bytes& v) { w.put_binary(v.data(), v.size()); }
  static void read_data(ForyReader& r, Bytes& v) { r.get_binary(v); }
  static Value to_value(const Bytes& v) { return Value(v); }
  static Status from_value(const Value& x, Bytes& v) {
    if (x.kind() != Value::Kind::kBytes) return value_kind_error(x, "bytes");
    v = x.as_bytes();
    return {};
  }
};

template <>
struct Codec<Date> : ScalarCodecBase<Date, TypeKind::kDate> {
  static void write_data(ForyWriter& w, Date v) {
    w.put_fixed<int32_t>(static_cast<int32_t>(v.time_since_epoch().count()));
  }
  static void read_data(ForyReader& r, Date& v) {
    v = Date(std::chrono::days(r.get_fixed<int32_t>()));
  }
  static Value to_value(Date v) { return Value(int64_t{v.time_since_epoch().count()}); }
  static Status from_value(const Value& x, Date& v) {
    int32_t days = 0;
    ASTER_RETURN_IF_ERROR(int_from_value(x, days));
    v = Date(std::chrono::days(days));
    return {};
  }
};

// TIMESTAMP: int64 seconds (floor) + uint32 nanoseconds, as pyfory's TimestampSerializer.
void write_timestamp_micros(ForyWriter& w, int64_t micros);
int64_t read_timestamp_micros(ForyReader& r);
template <>
struct Codec<Timestamp> : ScalarCodecBase<Timestamp, TypeKind::kTimestamp> {
  static void write_data(ForyWriter& w, Timestamp v) {
    write_timestamp_micros(w, v.time_since_epoch().count());
  }
  static void read_data(ForyReader& r, Timestamp& v) {
    v = Timestamp(std::chrono::microseconds(read_timestamp_micros(r)));
  }
  static Value to_value(Timestamp v) { return Value(int64_t{v.time_since_epoch().count()}); }
  static Status from_value(const Value& x, Timestamp& v) {
    int64_t us = 0;
    ASTER_RETURN_IF_ERROR(int_from_value(x, us));
    v = Timestamp(std::chrono::microseconds(us));
    return {};
  }
};

// ---- untyped (aster::Value) ---------------------------------------------------------------

template <>
struct Codec<Value> {
  static constexpr bool kNullable = false;
  static constexpr bool kTypeInfoInField = true;  // written by write_any
  static TypeRef desc() { return TypeDesc::scalar(TypeKind::kAny); }
  static void write_type_info(ForyWriter&) {}
  static void check_type_info(ForyReader&) {}
  static void write_data(ForyWriter& w, const Value& v) { write_any(w, v); }
  static void read_data(ForyReader& r, Value& v) { read_any(r, v); }
  static Value to_value(const Value& v) { return v; }
  static Status from_value(const Value& x, Value& v) {
    v = x;
    return {};
  }
};

// ---- optional -------------------------------------------------------------------------------

template <typename T>
struct Codec<std::optional<T>> {
  using Inner = T;
  static constexpr bool kNullable = true;
  static TypeRef desc() { return TypeDesc::optional_of(Codec<T>::desc()); }
  static bool is_null(const std::optional<T>& v) { return !v.has_value(); }
  static const T& get(const std::optional<T>& v) { return *v; }
  static void set_null(std::optional<T>& v) { v.reset(); }
  static T& emplace(std::optional<T>& v) { return v.emplace(); }
  static Value to_value(const std::optional<T>& v) {
    return v ? Codec<T>::to_value(*v) : Value();
  }
  static Status from_value(const Value& x, std::optional<T>& v) {
    if (x.is_null()) {
      v.reset();
      return {};
    }
    return Codec<T>::from_value(x, v.emplace());
  }
};
template <typename T>
struct Codec<std::unique_ptr<T>> {
  using Inner = T;
  static constexpr bool kNullable = true;
  static TypeRef desc() { return TypeDesc::optional_of(Codec<T>::desc()); }
  static bool is_null(const std::unique_ptr<T>& v) { return v == nullptr; }
  static const T& get(const std::unique_ptr<T>& v) { return *v; }
  static void set_null(std::unique_ptr<T>& v) { v.reset(); }
  static T& emplace(std::unique_ptr<T>& v) {
    v = std::make_unique<T>();
    return *v;
  }
  static Value to_value(const std::unique_ptr<T>& v) {
    return v ? Codec<T>::to_value(*v) : Value();
  }
  static Status from_value(const Value& x, std::unique_ptr<T>& v) {
    if (x.is_null()) {
      v.reset();
      return {};
    }
    return Codec<T>::from_value(x, emplace(v));
  }
};

// Reads the ref/null flag of a nullable slot (pyfory serialization.pyx `MapRefResolver`):
// true = a value follows.
inline bool read_presence_flag(ForyReader& r) {
  uint8_t flag = r.get_u8();
  if (flag == kNotNullValueFlag || flag == kRefValueFlag) return true;
  if (flag == kNullFlag) return false;
  if (r.ok()) {
    r.fail(flag == kRefFlag ? "reference flag (ref tracking) is not supported"
                            : "invalid null/ref flag " + std::to_string(int(flag)));
  }
  return false;
}

// Field position (pyfory struct.pxi): Optional → flag; named structs/untyped → type info;
// then data.
template <typename M>
void write_in_field(ForyWriter& w, const M& v) {
  if constexpr (Codec<M>::kNullable) {
    if (Codec<M>::is_null(v)) {
      w.put_u8(kNullFlag);
      return;
    }
    w.put_u8(kNotNullValueFlag);
    write_in_field<typename Codec<M>::Inner>(w, Codec<M>::get(v));
  } else {
    if constexpr (Codec<M>::kTypeInfoInField) Codec<M>::write_type_info(w);
    Codec<M>::write_data(w, v);
  }
}
template <typename M>
void read_in_field(ForyReader& r, M& v) {
  if constexpr (Codec<M>::kNullable) {
    if (!read_presence_flag(r)) {
      Codec<M>::set_null(v);
      return;
    }
    read_in_field<typename Codec<M>::Inner>(r, Codec<M>::emplace(v));
  } else {
    if constexpr (Codec<M>::kTypeInfoInField) Codec<M>::check_type_info(r);
    Codec<M>::read_data(r, v);
  }
}

// Element type info (non-declared element headers, pyfory collection.pxi
// `CollectionSerializer`): accepted when a writer sent it.
template <typename E>
void check_element_type_info(ForyReader& r) {
  if constexpr (Codec<E>::kNullable) check_element_type_info<typename Codec<E>::Inner>(r);
  else Codec<E>::check_type_info(r);
}

// Reads one declared-position element into `e` given the collection/map header semantics.
template <typename E>
void read_element(ForyReader& r, E& e, bool may_be_null, bool has_type_info_each) {
  if (may_be_null) {
    if (!read_presence_flag(r)) {
      if constexpr (Codec<E>::kNullable) Codec<E>::set_null(e);
      else if (r.ok()) r.fail("null element where the declared type is not Optional");
      return;
    }
  }
  if constexpr (Codec<E>::kNullable) {
    auto& inner = Codec<E>::emplace(e);
    if (has_type_info_each) check_element_type_info<typename Codec<E>::Inner>(r);
    Codec<typename Codec<E>::Inner>::read_data(r, inner);
  } else {
    if (has_type_info_each) Codec<E>::check_type_info(r);
    Codec<E>::read_data(r, e);
  }
}
template <typename E>
void write_element(ForyWriter& w, const E& e, bool has_null) {
  if constexpr (Codec<E>::kNullable) {
    if (Codec<E>::is_null(e)) {
      w.put_u8(kNullFlag);
      return;
    }
    if (has_null) w.put_u8(kNotNullValueFlag);
    Codec<typename Codec<E>::Inner>::write_data(w, Codec<E>::get(e));
  } else {
    if (has_null) w.put_u8(kNotNullValueFlag);
    Codec<E>::write_data(w, e);
  }
}

// ---- list / set ---------------------------------------------------------------------------

template <typename C, typename E, TypeKind K>
struct CollectionCodec {
  static constexpr bool kNullable = false;
  static constexpr bool kTypeInfoInField = false;
  static TypeRef desc() {
    return K == TypeKind::kSet ? TypeDesc::set_of(Codec<E>::desc())
                               : TypeDesc::list_of(Codec<E>::desc());
  }
  static void write_type_info(ForyWriter& w) {
    w.put_u8(static_cast<uint8_t>(K == TypeKind::kSet ? ForyTypeId::kSet : ForyTypeId::kList));
  }
  static void check_type_info(ForyReader& r) {
    uint8_t want = static_cast<uint8_t>(K == TypeKind::kSet ? ForyTypeId::kSet : ForyTypeId::kList);
    uint8_t id = r.get_u8();
    if (r.ok() && id != want)
      r.fail("expected type id " + std::to_string(want) + ", found " + std::to_string(int(id)));
  }
  static void write_data(ForyWriter& w, const C& c) {
    w.put_varuint32(static_cast<uint32_t>(c.size()));
    if (c.empty()) return;  // pyfory collection.pxi: no element header when empty
    bool has_null = false;
    if constexpr (Codec<E>::kNullable) {
      for (const auto& e : c) has_null |= Codec<E>::is_null(e);
    }
    w.put_u8(kCollDeclElementType | kCollSameType | (has_null ? kCollHasNull : 0));
    if constexpr (std::is_arithmetic_v<E>) w.reserve(c.size() * 9);  // one growth check
    for (const auto& e : c) write_element<E>(w, e, has_null);
  }
  static void read_data(ForyReader& r, C& c) {
    c.clear();
    uint32_t n = r.get_count("collection");
    if (n == 0 || !r.ok()) return;
    uint8_t header = r.get_u8();
    if (header & kCollTrackingRef) {
      r.fail("collection written with reference tracking is not supported");
      return;
    }
    bool has_null = header & kCollHasNull;
    bool each_type_info = false;
    if (!(header & kCollDeclElementType)) {
      if (header & kCollSameType) check_element_type_info<E>(r);
      else each_type_info = true;
    }
    if (!r.enter()) return;
    if constexpr (requires { c.reserve(n); }) c.reserve(n);
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      E e{};
      read_element<E>(r, e, has_null, each_type_info);
      if constexpr (K == TypeKind::kSet) c.insert(std::move(e));
      else c.push_back(std::move(e));
    }
    r.leave();
  }
  static Value to_value(const C& c) {
    Value::List out;
    out.reserve(c.size());
    for (const auto& e : c) out.push_back(Codec<E>::to_value(e));
    return Value(std::move(out));
  }
  static Status from_value(const Value& x, C& c) {
    if (x.kind() != Value::Kind::kList) return value_kind_error(x, "list");
    c.clear();
    for (const Value& item : x.as_list()) {
      E e{};
      ASTER_RETURN_IF_ERROR(Codec<E>::from_value(item, e));
      if constexpr (K == TypeKind::kSet) c.insert(std::move(e));
      else c.push_back(std::move(e));
    }
    return {};
  }
};
template <typename E, typename A>
struct Codec<std::vector<E, A>> : CollectionCodec<std::vector<E, A>, E, TypeKind::kList> {};
template <typename E, typename Cmp, typename A>
struct Codec<std::set<E, Cmp, A>> : CollectionCodec<std::set<E, Cmp, A>, E, TypeKind::kSet> {};
template <typename E, typename H, typename Eq, typename A>
struct Codec<std::unordered_set<E, H, Eq, A>>
    : CollectionCodec<std::unordered_set<E, H, Eq, A>, E, TypeKind::kSet> {};

// ---- map ------------------------------------------------------------------------------------

template <typename M, typename K, typename V>
struct MapCodec {
  static constexpr bool kNullable = false;
  static constexpr bool kTypeInfoInField = false;
  static TypeRef desc() { return TypeDesc::map_of(Codec<K>::desc(), Codec<V>::desc()); }
  static void write_type_info(ForyWriter& w) { w.put_u8(static_cast<uint8_t>(ForyTypeId::kMap)); }
  static void check_type_info(ForyReader& r) {
    uint8_t id = r.get_u8();
    if (r.ok() && id != static_cast<uint8_t>(ForyTypeId::kMap))
      r.fail("expected map type id 24, found " + std::to_string(int(id)));
  }
  // Chunks of ≤255 entries with header 0x24; an entry with a None value is written alone as
  // 0x14 + key and closes the current chunk (pyfory collection.pxi `MapSerializer.write`).
  static void write_data(ForyWriter& w, const M& m) {
    w.put_varuint32(static_cast<uint32_t>(m.size()));
    size_t size_pos = 0;
    uint32_t in_chunk = 0;
    bool open = false;
    for (const auto& [k, v] : m) {
      if constexpr (Codec<V>::kNullable) {
        if (Codec<V>::is_null(v)) {
          if (open) w.patch_u8(size_pos, static_cast<uint8_t>(in_chunk));
          open = false;
          w.put_u8(kMapValueHasNull | kMapKeyDeclType);
          Codec<K>::write_data(w, k);
          continue;
        }
      }
      if (!open || in_chunk == 255) {
        if (open) w.patch_u8(size_pos, static_cast<uint8_t>(in_chunk));
        w.put_u8(kMapKeyDeclType | kMapValueDeclType);
        size_pos = w.size();
        w.put_u8(0);
        in_chunk = 0;
        open = true;
      }
      Codec<K>::write_data(w, k);
      if constexpr (Codec<V>::kNullable) {
        Codec<typename Codec<V>::Inner>::write_data(w, Codec<V>::get(v));
      } else {
        Codec<V>::write_data(w, v);
      }
      ++in_chunk;
    }
    if (open) w.patch_u8(size_pos, static_cast<uint8_t>(in_chunk));
  }
  static void read_data(ForyReader& r, M& m) {
    m.clear();
    uint32_t total = r.get_count("map", 2);
    if (!r.ok() || total == 0) return;
    if (!r.enter()) return;
    while (total > 0 && r.ok()) {
      uint8_t header = r.get_u8();
      bool key_null = header & kMapKeyHasNull;
      bool value_null = header & kMapValueHasNull;
      if (key_null || value_null) {  // one entry, no size byte
        if (key_null) {
          r.fail("null map key is not supported");
          break;
        }
        K k{};
        read_map_part<K>(r, k, header & kMapKeyDeclType, header & kMapTrackKeyRef, true);
        V v{};
        if constexpr (Codec<V>::kNullable) Codec<V>::set_null(v);
        else if (r.ok()) r.fail("null map value where the declared type is not Optional");
        if (!r.ok()) break;
        m.insert_or_assign(std::move(k), std::move(v));
        --total;
        continue;
      }
      uint32_t size = r.get_u8();
      if (r.ok() && (size == 0 || size > total)) {
        r.fail("map chunk size " + std::to_string(size) + " invalid (" + std::to_string(total) +
               " entries left)");
        break;
      }
      bool key_decl = header & kMapKeyDeclType, value_decl = header & kMapValueDeclType;
      if (!key_decl) check_element_type_info<K>(r);
      if (!value_decl) check_element_type_info<V>(r);
      for (uint32_t i = 0; i < size && r.ok(); ++i) {
        K k{};
        V v{};
        read_map_part<K>(r, k, true, header & kMapTrackKeyRef, false);
        read_map_part<V>(r, v, true, header & kMapTrackValueRef, false);
        m.insert_or_assign(std::move(k), std::move(v));
      }
      total -= size;
    }
    r.leave();
  }
  // One key or value: `tracked` = preceded by a ref flag; `!decl` in a null chunk = written with
  // its own flag and type info (pyfory's write_ref).
  template <typename T>
  static void read_map_part(ForyReader& r, T& out, bool decl, bool tracked, bool null_chunk) {
    if (null_chunk && !decl) {
      if (!read_presence_flag(r)) {
        if (r.ok()) r.fail("null map key is not supported");
        return;
      }
      check_element_type_info<T>(r);
    } else if (tracked) {
      if (!read_presence_flag(r)) {
        if constexpr (Codec<T>::kNullable) Codec<T>::set_null(out);
        else if (r.ok()) r.fail("null map entry where the declared type is not Optional");
        return;
      }
    }
    if constexpr (Codec<T>::kNullable) {
      Codec<typename Codec<T>::Inner>::read_data(r, Codec<T>::emplace(out));
    } else {
      Codec<T>::read_data(r, out);
    }
  }
  static Value to_value(const M& m) {
    Value::Map out;
    out.reserve(m.size());
    for (const auto& [k, v] : m) out.emplace_back(Codec<K>::to_value(k), Codec<V>::to_value(v));
    return Value(std::move(out));
  }
  static Status from_value(const Value& x, M& m) {
    if (x.kind() != Value::Kind::kMap) return value_kind_error(x, "map");
    m.clear();
    for (const auto& [xk, xv] : x.as_map()) {
      K k{};
      V v{};
      ASTER_RETURN_IF_ERROR(Codec<K>::from_value(xk, k));
      ASTER_RETURN_IF_ERROR(Codec<V>::from_value(xv, v));
      m.insert_or_assign(std::move(k), std::move(v));
    }
    return {};
  }
};
template <typename K, typename V, typename Cmp, typename A>
struct Codec<std::map<K, V, Cmp, A>> : MapCodec<std::map<K, V, Cmp, A>, K, V> {};
template <typename K, typename V, typename H, typename Eq, typename A>
struct Codec<std::unordered_map<K, V, H, Eq, A>>
    : MapCodec<std::unordered_map<K, V, H, Eq, A>, K, V> {};

// ---- enums ----------------------------------------------------------------------------------

template <typename E>
struct Codec<E, std::enable_if_t<DeclaredEnum<E>>> {
  static constexpr bool kNullable = false;
  static constexpr bool kTypeInfoInField = false;  // bare ordinals (pyfory EnumSerializer)
  static TypeRef desc() { return TypeDesc::enum_ref(enum_desc<E>()); }
  static void write_type_info(ForyWriter& w) {
    const EnumDesc& d = enum_desc<E>();
    w.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedEnum), d.ns_meta(), d.name_meta());
  }
  static void check_type_info(ForyReader& r);
  static void write_data(ForyWriter& w, E v) {
    int ordinal = enum_ordinal(v);
    if (ordinal < 0) w.fail("enum value not declared in ASTER_ENUM");
    w.put_varuint32(static_cast<uint32_t>(ordinal < 0 ? 0 : ordinal));
  }
  static void read_data(ForyReader& r, E& v) {
    uint32_t ordinal = r.get_varuint32();
    if (!r.ok()) return;
    auto e = enum_from_ordinal<E>(ordinal);
    if (!e) {
      r.fail("enum " + enum_desc<E>().wire_name().tag() + " has no ordinal " +
             std::to_string(ordinal));
      return;
    }
    v = *e;
  }
  static Value to_value(E v) {
    int ordinal = enum_ordinal(v);
    return ordinal < 0 ? Value(int64_t{-1}) : Value(enum_desc<E>().members()[ordinal]);
  }
  static Status from_value(const Value& x, E& v) {
    const EnumDesc& d = enum_desc<E>();
    int ordinal = -1;
    if (x.kind() == Value::Kind::kString) ordinal = d.find_member(x.as_string());
    else if (x.kind() == Value::Kind::kInt && x.as_int() >= 0 &&
             x.as_int() < static_cast<int64_t>(d.members().size()))
      ordinal = static_cast<int>(x.as_int());
    if (ordinal < 0)
      return Status(StatusCode::kInvalidArgument,
                    "not a member of enum " + d.wire_name().tag() + ": " + x.debug_string());
    v = *enum_from_ordinal<E>(static_cast<uint64_t>(ordinal));
    return {};
  }
};

// Checks NAMED_* type info against the expected names (literal or back-referenced).
void check_named_type_info(ForyReader& r, ForyTypeId expected, const WireName& name,
                           const EncodedMetaString& ns_meta, const EncodedMetaString& name_meta);

template <typename E>
void Codec<E, std::enable_if_t<DeclaredEnum<E>>>::check_type_info(ForyReader& r) {
  const EnumDesc& d = enum_desc<E>();
  check_named_type_info(r, ForyTypeId::kNamedEnum, d.wire_name(), d.ns_meta(), d.name_meta());
}

// ---- structs --------------------------------------------------------------------------------

void write_struct_fields(ForyWriter& w, const StructDesc& d, const void* object);  // hash + body
void write_struct_body(ForyWriter& w, const StructDesc& d, const void* object);
void read_struct_fields(ForyReader& r, const StructDesc& d, void* object);  // hash + body
void read_struct_body(ForyReader& r, const StructDesc& d, void* object);
// Root fast path: if data starts with d.root_prefix(), consumes it and returns true.
bool read_known_root_prefix(ForyReader& r, std::span<const uint8_t> data, const StructDesc& d);

template <typename T>
struct Codec<T, std::enable_if_t<DeclaredMessage<T>>> {
  static constexpr bool kNullable = false;
  static constexpr bool kTypeInfoInField = true;  // NAMED_STRUCT fields are dynamic (struct.pxi)
  static TypeRef desc() { return TypeDesc::struct_ref(struct_desc<T>()); }
  static void write_type_info(ForyWriter& w) {
    const StructDesc& d = struct_desc<T>();
    w.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedStruct), d.ns_meta(), d.name_meta());
  }
  static void check_type_info(ForyReader& r) {
    const StructDesc& d = struct_desc<T>();
    check_named_type_info(r, ForyTypeId::kNamedStruct, d.wire_name(), d.ns_meta(), d.name_meta());
  }
  static void write_data(ForyWriter& w, const T& v) { write_struct_fields(w, struct_desc<T>(), &v); }
  static void read_data(ForyReader& r, T& v) { read_struct_fields(r, struct_desc<T>(), &v); }
  static Value to_value(const T& v) {
    const StructDesc& d = struct_desc<T>();
    Value::Struct s;
    s.type = d.tag();
    s.fields.reserve(d.fields().size());
    for (const FieldDesc& f : d.fields()) s.fields.emplace_back(f.name, f.access->to_value(&v));
    return Value(std::move(s));
  }
  static Status from_value(const Value& x, T& v);
};

Status struct_from_value(const Value& x, const StructDesc& d, void* object);
template <typename T>
Status Codec<T, std::enable_if_t<DeclaredMessage<T>>>::from_value(const Value& x, T& v) {
  return struct_from_value(x, struct_desc<T>(), &v);
}

// ---- per-field access -----------------------------------------------------------------------

template <auto Ptr>
void field_write(ForyWriter& w, const void* o) {
  using D = FieldDecl<Ptr>;
  write_in_field<typename D::Member>(w, static_cast<const typename D::Class*>(o)->*Ptr);
}
template <auto Ptr>
void field_read(ForyReader& r, void* o) {
  using D = FieldDecl<Ptr>;
  read_in_field<typename D::Member>(r, static_cast<typename D::Class*>(o)->*Ptr);
}
template <auto Ptr>
Value field_to_value(const void* o) {
  using D = FieldDecl<Ptr>;
  return Codec<typename D::Member>::to_value(static_cast<const typename D::Class*>(o)->*Ptr);
}
template <auto Ptr>
Status field_from_value(const Value& x, void* o) {
  using D = FieldDecl<Ptr>;
  return Codec<typename D::Member>::from_value(x, static_cast<typename D::Class*>(o)->*Ptr);
}
template <auto Ptr>
Value field_default() {
  using D = FieldDecl<Ptr>;
  if constexpr (std::is_default_constructible_v<typename D::Class>) {
    const typename D::Class object{};
    return Codec<typename D::Member>::to_value(object.*Ptr);
  } else {
    return Value();
  }
}
template <auto Ptr>
inline constexpr FieldAccess kFieldAccess{&field_write<Ptr>, &field_read<Ptr>,
                                          &field_to_value<Ptr>, &field_from_value<Ptr>,
                                          &field_default<Ptr>};

template <typename T>
struct StaticStructStorage {
  static StructDesc& desc() {
    static StructDesc d;
    return d;
  }
  static std::atomic<int>& state() {  // 0 = not built, 1 = being built (this thread), 2 = ready
    static std::atomic<int> s{0};
    return s;
  }
};

}  // namespace detail

template <typename T>
struct TypeOf {
  static TypeRef desc() { return detail::Codec<T>::desc(); }
};

template <DeclaredMessage T>
const StructDesc& struct_desc() {
  using S = detail::StaticStructStorage<T>;
  StructDesc& d = S::desc();
  if (S::state().load(std::memory_order_acquire) == 2) return d;
  std::lock_guard<std::recursive_mutex> lock(detail::desc_mutex());
  if (S::state().load(std::memory_order_relaxed) == 0) {
    // Two phases so recursive types work: a type reached again while it is being built gets
    // this same (stable) address; its fields are filled before anyone encodes with it.
    S::state().store(1, std::memory_order_relaxed);
    constexpr auto decl = aster_declare(DeclTag<T>{});
    d.set_wire_name(WireName::from_tag(decl.tag));
    std::vector<FieldDesc> fields;
    std::apply(
        [&](auto... f) {
          (fields.push_back(FieldDesc{std::string(f.name),
                                      TypeOf<typename decltype(f)::Member>::desc(),
                                      &detail::kFieldAccess<decltype(f)::kPtr>}),
           ...);
        },
        decl.fields);
    d.set_fields(std::move(fields));
    d.finalize();
    S::state().store(2, std::memory_order_release);
  }
  return d;
}

template <DeclaredEnum E>
const EnumDesc& enum_desc() {
  static const EnumDesc d = [] {
    constexpr auto decl = aster_declare(DeclTag<E>{});
    using PythonValue = typename Enumerator<E>::PythonValue;
    std::vector<std::string> names, json_values;
    bool valued = false;
    for (const auto& m : decl.members) {
      names.emplace_back(m.name);
      valued |= m.python_value != PythonValue::kOrdinal;
    }
    // JSON texts of the Python values, only when one is declared (members without one keep
    // their ordinal, as Python's `A = 0, B = 1` would).
    for (size_t i = 0; valued && i < decl.members.size(); ++i) {
      const auto& m = decl.members[i];
      json_values.push_back(m.python_value == PythonValue::kString ? json_string(m.string_value)
                            : m.python_value == PythonValue::kInt ? std::to_string(m.int_value)
                                                                  : std::to_string(i));
    }
    return EnumDesc(WireName::from_tag(decl.tag), std::move(names), std::move(json_values));
  }();
  return d;
}
template <DeclaredEnum E>
int enum_ordinal(E value) {
  constexpr auto decl = aster_declare(DeclTag<E>{});
  for (size_t i = 0; i < decl.members.size(); ++i)
    if (decl.members[i].value == value) return static_cast<int>(i);
  return -1;
}
template <DeclaredEnum E>
std::optional<E> enum_from_ordinal(uint64_t ordinal) {
  constexpr auto decl = aster_declare(DeclTag<E>{});
  if (ordinal >= decl.members.size()) return std::nullopt;
  return decl.members[ordinal].value;
}

// Static ↔ dynamic bridge (used by JSON and the shell).
template <typename T>
Value to_value(const T& v) {
  return detail::Codec<T>::to_value(v);
}
template <typename T>
Result<T> from_value(const Value& x) {
  T out{};
  Status st = detail::Codec<T>::from_value(x, out);
  if (!st.is_ok()) return st;
  return out;
}

}  // namespace aster::codec
