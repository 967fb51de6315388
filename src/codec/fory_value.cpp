// Dynamic Fory codec: aster::Value + TypeDesc → the bytes the static path writes, and back.
// Untyped positions (kAny, `list`/`dict` without parameters) follow pyfory's untyped rules
// (pyfory 0.16.0 python/pyfory/collection.pxi `CollectionSerializer`, `MapSerializer`).
#include <cmath>
#include <limits>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"

namespace aster::codec {
namespace {

using K = Value::Kind;

bool is_untyped(const TypeDesc& t) {
  if (t.kind == TypeKind::kAny) return true;
  if (t.kind == TypeKind::kList || t.kind == TypeKind::kSet)
    return t.element->unwrapped().kind == TypeKind::kAny;
  if (t.kind == TypeKind::kMap)
    return t.key->unwrapped().kind == TypeKind::kAny || t.element->unwrapped().kind == TypeKind::kAny;
  return false;
}

std::string kind_name(const Value& v) {
  static constexpr const char* kNames[] = {"null", "bool",  "int",  "int", "float",
                                           "string", "bytes", "list", "map", "struct"};
  return kNames[static_cast<int>(v.kind())];
}

// ---- writing ------------------------------------------------------------------------------

class ValueWriter {
 public:
  explicit ValueWriter(ForyWriter& w) : w_(w) {}

  void field(const Value& v, const TypeDesc& t) {
    if (t.kind == TypeKind::kOptional) {
      if (v.is_null()) {
        w_.put_u8(kNullFlag);
        return;
      }
      w_.put_u8(kNotNullValueFlag);
      field(v, *t.element);
      return;
    }
    if (t.kind == TypeKind::kAny) {
      any(v);
      return;
    }
    if (is_untyped(t)) {
      w_.put_u8(static_cast<uint8_t>(t.fory_type_id()));
      data(v, t);
      return;
    }
    if (t.kind == TypeKind::kStruct) type_info(t);
    data(v, t);
  }

  void type_info(const TypeDesc& t) {
    if (t.kind == TypeKind::kStruct) {
      w_.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedStruct), t.struct_type->ns_meta(),
                        t.struct_type->name_meta());
    } else if (t.kind == TypeKind::kEnum) {
      w_.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedEnum), t.enum_type->ns_meta(),
                        t.enum_type->name_meta());
    } else {
      w_.put_u8(static_cast<uint8_t>(t.fory_type_id()));
    }
  }

  // Bare data of a non-optional type.
  void data(const Value& v, const TypeDesc& t) {
    if (!w_.ok()) return;
    switch (t.kind) {
      case TypeKind::kBool:
        if (v.kind() != K::kBool) return mismatch(v, t);
        w_.put_u8(v.as_bool() ? 1 : 0);
        return;
      case TypeKind::kInt8: return w_.put_u8(static_cast<uint8_t>(sint(v, t, INT8_MIN, INT8_MAX)));
      case TypeKind::kInt16:
        return w_.put_fixed<int16_t>(static_cast<int16_t>(sint(v, t, INT16_MIN, INT16_MAX)));
      case TypeKind::kInt32:
        return w_.put_varint32(static_cast<int32_t>(sint(v, t, INT32_MIN, INT32_MAX)));
      case TypeKind::kFixedInt32:
        return w_.put_fixed<int32_t>(static_cast<int32_t>(sint(v, t, INT32_MIN, INT32_MAX)));
      case TypeKind::kInt64: return w_.put_varint64(sint(v, t, INT64_MIN, INT64_MAX));
      case TypeKind::kFixedInt64: return w_.put_fixed<int64_t>(sint(v, t, INT64_MIN, INT64_MAX));
      case TypeKind::kTaggedInt64: return w_.put_tagged_int64(sint(v, t, INT64_MIN, INT64_MAX));
      case TypeKind::kUint8: return w_.put_u8(static_cast<uint8_t>(uint(v, t, UINT8_MAX)));
      case TypeKind::kUint16:
        return w_.put_fixed<uint16_t>(static_cast<uint16_t>(uint(v, t, UINT16_MAX)));
      case TypeKind::kUint32:
        return w_.put_varuint32(static_cast<uint32_t>(uint(v, t, UINT32_MAX)));
      case TypeKind::kFixedUint32:
        return w_.put_fixed<uint32_t>(static_cast<uint32_t>(uint(v, t, UINT32_MAX)));
      case TypeKind::kUint64: return w_.put_varuint64(uint(v, t, UINT64_MAX));
      case TypeKind::kFixedUint64: return w_.put_fixed<uint64_t>(uint(v, t, UINT64_MAX));
      case TypeKind::kTaggedUint64: return w_.put_tagged_uint64(uint(v, t, UINT64_MAX));
      case TypeKind::kFloat32: return w_.put_fixed<float>(static_cast<float>(real(v, t)));
      case TypeKind::kFloat64: return w_.put_fixed<double>(real(v, t));
      case TypeKind::kString:
        if (v.kind() != K::kString) return mismatch(v, t);
        return w_.put_string(v.as_string());
      case TypeKind::kBytes:
        if (v.kind() != K::kBytes) return mismatch(v, t);
        return w_.put_binary(v.as_bytes().data(), v.as_bytes().size());
      case TypeKind::kDate:
        return w_.put_fixed<int32_t>(static_cast<int32_t>(sint(v, t, INT32_MIN, INT32_MAX)));
      case TypeKind::kTimestamp:
        return detail::write_timestamp_micros(w_, sint(v, t, INT64_MIN, INT64_MAX));
      case TypeKind::kList:
      case TypeKind::kSet: return collection(v, t);
      case TypeKind::kMap: return map(v, t);
      case TypeKind::kEnum: return enumeration(v, *t.enum_type);
      case TypeKind::kStruct: return structure(v, *t.struct_type);
      case TypeKind::kOptional:
        if (v.is_null()) return w_.fail("None in a position that is not nullable");
        return data(v, *t.element);
      case TypeKind::kAny: return any(v);
    }
  }

  // An untyped value: type info from the value itself, then data (pyfory's write_no_ref).
  void any(const Value& v) {
    switch (v.kind()) {
      case K::kNull: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kNone));
      case K::kBool:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kBool));
        return w_.put_u8(v.as_bool() ? 1 : 0);
      case K::kInt:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kVarInt64));
        return w_.put_varint64(v.as_int());
      case K::kUint:  // above INT64_MAX: Python's int type (VARINT64) cannot carry it
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kVarUint64));
        return w_.put_varuint64(v.as_uint());
      case K::kFloat:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kFloat64));
        return w_.put_fixed<double>(v.as_float());
      case K::kString:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kString));
        return w_.put_string(v.as_string());
      case K::kBytes:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kBinary));
        return w_.put_binary(v.as_bytes().data(), v.as_bytes().size());
      case K::kList:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kList));
        return untyped_collection(v.as_list());
      case K::kMap:
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kMap));
        return untyped_map(v.as_map());
      case K::kStruct: {
        const StructDesc* d = lookup(v.as_struct().type);
        if (!d) return;
        w_.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedStruct), d->ns_meta(),
                          d->name_meta());
        return structure(v, *d);
      }
    }
  }

 private:
  const StructDesc* lookup(const std::string& tag) {
    const StructDesc* d = w_.registry() ? w_.registry()->find_struct(tag) : nullptr;
    if (!d) w_.fail("struct type " + tag + " is not in the registry for untyped values");
    return d;
  }

  void mismatch(const Value& v, const TypeDesc& t) {
    w_.fail("expected " + std::string(type_kind_name(t.kind)) + ", got " + kind_name(v));
  }
  int64_t sint(const Value& v, const TypeDesc& t, int64_t lo, int64_t hi) {
    if (v.kind() == K::kInt && v.as_int() >= lo && v.as_int() <= hi) return v.as_int();
    if (v.kind() == K::kInt || v.kind() == K::kUint)
      w_.fail(std::string(type_kind_name(t.kind)) + " out of range: " + v.debug_string());
    else
      mismatch(v, t);
    return 0;
  }
  uint64_t uint(const Value& v, const TypeDesc& t, uint64_t hi) {
    if (v.kind() == K::kInt && v.as_int() >= 0 && static_cast<uint64_t>(v.as_int()) <= hi)
      return static_cast<uint64_t>(v.as_int());
    if (v.kind() == K::kUint && v.as_uint() <= hi) return v.as_uint();
    if (v.kind() == K::kInt || v.kind() == K::kUint)
      w_.fail(std::string(type_kind_name(t.kind)) + " out of range: " + v.debug_string());
    else
      mismatch(v, t);
    return 0;
  }
  double real(const Value& v, const TypeDesc& t) {
    if (v.kind() == K::kFloat) return v.as_float();
    if (v.kind() == K::kInt) return static_cast<double>(v.as_int());
    mismatch(v, t);
    return 0;
  }

  void element(const Value& v, const TypeDesc& et, bool has_null) {
    if (v.is_null()) {
      if (!et.nullable() && !has_null) return w_.fail("None element in a list of non-Optional");
      return w_.put_u8(kNullFlag);
    }
    if (has_null) w_.put_u8(kNotNullValueFlag);
    data(v, et.unwrapped());
  }

  void collection(const Value& v, const TypeDesc& t) {
    if (v.kind() != K::kList) return mismatch(v, t);
    const auto& items = v.as_list();
    if (is_untyped(t)) return untyped_collection(items);
    w_.put_varuint32(static_cast<uint32_t>(items.size()));
    if (items.empty()) return;
    bool has_null = false;
    for (const Value& e : items) has_null |= e.is_null();
    w_.put_u8(kCollDeclElementType | kCollSameType | (has_null ? kCollHasNull : 0));
    for (const Value& e : items) element(e, *t.element, has_null);
  }

  // "Python type" identity for untyped same-type detection: kind, plus struct tag.
  static bool same_python_type(const Value& a, const Value& b) {
    if (a.kind() != b.kind()) return false;  // kUint (> INT64_MAX) has its own wire type
    return a.kind() != K::kStruct || a.as_struct().type == b.as_struct().type;
  }

  void untyped_collection(const Value::List& items) {
    w_.put_varuint32(static_cast<uint32_t>(items.size()));
    if (items.empty()) return;
    bool has_null = false, same = true;
    const Value* first = nullptr;
    for (const Value& e : items) {
      if (e.is_null()) {
        has_null = true;
        continue;
      }
      if (!first) first = &e;
      else if (same && !same_python_type(*first, e)) same = false;
    }
    uint8_t header = (same ? kCollSameType : 0) | (has_null ? kCollHasNull : 0);
    w_.put_u8(header);
    if (same) {
      if (!first) {
        w_.put_u8(static_cast<uint8_t>(ForyTypeId::kNone));  // all None: NONE type info
        for (size_t i = 0; i < items.size(); ++i) w_.put_u8(kNullFlag);
        return;
      }
      // Type info once (as any() would write it), then bare data.
      size_t mark = w_.size();
      any_type_info(*first);
      (void)mark;
      for (const Value& e : items) {
        if (has_null) {
          if (e.is_null()) {
            w_.put_u8(kNullFlag);
            continue;
          }
          w_.put_u8(kNotNullValueFlag);
        }
        any_data(e);
      }
      return;
    }
    for (const Value& e : items) {
      if (has_null) {
        if (e.is_null()) {
          w_.put_u8(kNullFlag);
          continue;
        }
        w_.put_u8(kNotNullValueFlag);
      }
      any(e);
    }
  }

  void any_type_info(const Value& v) {
    switch (v.kind()) {
      case K::kStruct: {
        const StructDesc* d = lookup(v.as_struct().type);
        if (d)
          w_.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedStruct), d->ns_meta(),
                            d->name_meta());
        return;
      }
      case K::kNull: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kNone));
      case K::kBool: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kBool));
      case K::kInt: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kVarInt64));
      case K::kUint: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kVarUint64));
      case K::kFloat: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kFloat64));
      case K::kString: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kString));
      case K::kBytes: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kBinary));
      case K::kList: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kList));
      case K::kMap: return w_.put_u8(static_cast<uint8_t>(ForyTypeId::kMap));
    }
  }
  void any_data(const Value& v) {
    switch (v.kind()) {
      case K::kNull: return;
      case K::kBool: return w_.put_u8(v.as_bool() ? 1 : 0);
      case K::kInt: return w_.put_varint64(v.as_int());
      case K::kUint: return w_.put_varuint64(v.as_uint());
      case K::kFloat: return w_.put_fixed<double>(v.as_float());
      case K::kString: return w_.put_string(v.as_string());
      case K::kBytes: return w_.put_binary(v.as_bytes().data(), v.as_bytes().size());
      case K::kList: return untyped_collection(v.as_list());
      case K::kMap: return untyped_map(v.as_map());
      case K::kStruct: {
        const StructDesc* d = lookup(v.as_struct().type);
        if (d) structure(v, *d);
        return;
      }
    }
  }

  void map(const Value& v, const TypeDesc& t) {
    if (v.kind() != K::kMap) return mismatch(v, t);
    const auto& entries = v.as_map();
    if (is_untyped(t)) return untyped_map(entries);
    w_.put_varuint32(static_cast<uint32_t>(entries.size()));
    size_t size_pos = 0;
    uint32_t in_chunk = 0;
    bool open = false;
    auto close = [&] {
      if (open) w_.patch_u8(size_pos, static_cast<uint8_t>(in_chunk));
      open = false;
    };
    for (const auto& [k, val] : entries) {
      if (k.is_null() || val.is_null()) {  // single-entry null chunk (collection.pxi)
        close();
        if (k.is_null() && val.is_null()) {
          w_.put_u8(kMapKeyHasNull | kMapValueHasNull);
        } else if (val.is_null()) {
          w_.put_u8(kMapValueHasNull | kMapKeyDeclType);
          data(k, t.key->unwrapped());
        } else {
          w_.put_u8(kMapKeyHasNull | kMapValueDeclType);
          data(val, t.element->unwrapped());
        }
        continue;
      }
      if (!open || in_chunk == 255) {
        close();
        w_.put_u8(kMapKeyDeclType | kMapValueDeclType);
        size_pos = w_.size();
        w_.put_u8(0);
        in_chunk = 0;
        open = true;
      }
      data(k, t.key->unwrapped());
      data(val, t.element->unwrapped());
      ++in_chunk;
    }
    close();
  }

  // Untyped dict (`MapSerializer`): chunk header without DECL bits, key and value type info after
  // the size byte; a new chunk whenever the key or value Python type changes.
  void untyped_map(const Value::Map& entries) {
    w_.put_varuint32(static_cast<uint32_t>(entries.size()));
    size_t size_pos = 0;
    uint32_t in_chunk = 0;
    bool open = false;
    const Value* ck = nullptr;
    const Value* cv = nullptr;
    auto close = [&] {
      if (open) w_.patch_u8(size_pos, static_cast<uint8_t>(in_chunk));
      open = false;
    };
    for (const auto& [k, val] : entries) {
      if (k.is_null() || val.is_null()) {
        close();
        if (k.is_null() && val.is_null()) {
          w_.put_u8(kMapKeyHasNull | kMapValueHasNull);
        } else if (val.is_null()) {
          w_.put_u8(kMapValueHasNull | kMapTrackKeyRef);  // key via write_ref: flag + any
          w_.put_u8(kNotNullValueFlag);
          any(k);
        } else {
          w_.put_u8(kMapKeyHasNull | kMapTrackValueRef);
          w_.put_u8(kNotNullValueFlag);
          any(val);
        }
        continue;
      }
      if (!open || in_chunk == 255 || !same_python_type(*ck, k) || !same_python_type(*cv, val)) {
        close();
        w_.put_u8(0);
        size_pos = w_.size();
        w_.put_u8(0);
        any_type_info(k);
        any_type_info(val);
        in_chunk = 0;
        open = true;
        ck = &k;
        cv = &val;
      }
      any_data(k);
      any_data(val);
      ++in_chunk;
    }
    close();
  }

  void enumeration(const Value& v, const EnumDesc& e) {
    int ordinal = -1;
    if (v.kind() == K::kString) ordinal = e.find_member(v.as_string());
    else if (v.kind() == K::kInt && v.as_int() >= 0 &&
             v.as_int() < static_cast<int64_t>(e.members().size()))
      ordinal = static_cast<int>(v.as_int());
    if (ordinal < 0)
      return w_.fail("not a member of enum " + e.wire_name().tag() + ": " + v.debug_string());
    w_.put_varuint32(static_cast<uint32_t>(ordinal));
  }

  void structure(const Value& v, const StructDesc& d) {
    if (v.kind() != K::kStruct) return w_.fail("expected struct " + d.tag() + ", got " + kind_name(v));
    const Value::Struct& s = v.as_struct();
    w_.put_fixed<int32_t>(d.struct_hash());
    const auto& fields = d.fields();
    for (uint32_t i : d.wire_order()) {
      const FieldDesc& f = fields[i];
      const Value* fv = (i < s.fields.size() && s.fields[i].first == f.name) ? &s.fields[i].second
                                                                            : s.find(f.name);
      if (fv) {
        field(*fv, *f.type);
      } else {
        default_field(*f.type, d, f);
      }
      if (!w_.ok()) return;
    }
  }

  // A field missing from the Value gets the value a default-constructed field would have.
  void default_field(const TypeDesc& t, const StructDesc&, const FieldDesc&) {
    field(default_value(t), t);
  }

  ForyWriter& w_;
};

// ---- reading ------------------------------------------------------------------------------

class ValueReader {
 public:
  explicit ValueReader(ForyReader& r) : r_(r) {}

  Value field(const TypeDesc& t) {
    if (t.kind == TypeKind::kOptional) {
      if (!detail::read_presence_flag(r_)) return Value();
      return field(*t.element);
    }
    if (is_untyped(t)) return any();
    if (t.kind == TypeKind::kStruct) {
      detail::check_named_type_info(r_, ForyTypeId::kNamedStruct, t.struct_type->wire_name(),
                                    t.struct_type->ns_meta(), t.struct_type->name_meta());
    }
    return data(t);
  }

  // Type info of an untyped position → a TypeDesc to read the data with. NONE → nullptr.
  TypeRef type_info() {
    uint8_t id = r_.get_u8();
    if (!r_.ok()) return nullptr;
    switch (static_cast<ForyTypeId>(id)) {
      case ForyTypeId::kBool: return TypeDesc::scalar(TypeKind::kBool);
      case ForyTypeId::kInt8: return TypeDesc::scalar(TypeKind::kInt8);
      case ForyTypeId::kInt16: return TypeDesc::scalar(TypeKind::kInt16);
      case ForyTypeId::kInt32: return TypeDesc::scalar(TypeKind::kFixedInt32);
      case ForyTypeId::kVarInt32: return TypeDesc::scalar(TypeKind::kInt32);
      case ForyTypeId::kInt64: return TypeDesc::scalar(TypeKind::kFixedInt64);
      case ForyTypeId::kVarInt64: return TypeDesc::scalar(TypeKind::kInt64);
      case ForyTypeId::kTaggedInt64: return TypeDesc::scalar(TypeKind::kTaggedInt64);
      case ForyTypeId::kUint8: return TypeDesc::scalar(TypeKind::kUint8);
      case ForyTypeId::kUint16: return TypeDesc::scalar(TypeKind::kUint16);
      case ForyTypeId::kUint32: return TypeDesc::scalar(TypeKind::kFixedUint32);
      case ForyTypeId::kVarUint32: return TypeDesc::scalar(TypeKind::kUint32);
      case ForyTypeId::kUint64: return TypeDesc::scalar(TypeKind::kFixedUint64);
      case ForyTypeId::kVarUint64: return TypeDesc::scalar(TypeKind::kUint64);
      case ForyTypeId::kTaggedUint64: return TypeDesc::scalar(TypeKind::kTaggedUint64);
      case ForyTypeId::kFloat32: return TypeDesc::scalar(TypeKind::kFloat32);
      case ForyTypeId::kFloat64: return TypeDesc::scalar(TypeKind::kFloat64);
      case ForyTypeId::kString: return TypeDesc::scalar(TypeKind::kString);
      case ForyTypeId::kBinary: return TypeDesc::scalar(TypeKind::kBytes);
      case ForyTypeId::kDate: return TypeDesc::scalar(TypeKind::kDate);
      case ForyTypeId::kTimestamp: return TypeDesc::scalar(TypeKind::kTimestamp);
      case ForyTypeId::kList: {
        static const TypeRef kList = TypeDesc::list_of(TypeDesc::scalar(TypeKind::kAny));
        return kList;
      }
      case ForyTypeId::kSet: {
        static const TypeRef kSet = TypeDesc::set_of(TypeDesc::scalar(TypeKind::kAny));
        return kSet;
      }
      case ForyTypeId::kMap: {
        static const TypeRef kMap = TypeDesc::map_of(TypeDesc::scalar(TypeKind::kAny),
                                                     TypeDesc::scalar(TypeKind::kAny));
        return kMap;
      }
      case ForyTypeId::kNone: return TypeDesc::scalar(TypeKind::kAny);  // marker: value is None
      case ForyTypeId::kNamedStruct:
      case ForyTypeId::kNamedEnum: {
        int ns = r_.get_meta_string(true);
        int tn = r_.get_meta_string(false);
        if (!r_.ok()) return nullptr;
        std::string tag = WireName{r_.meta_text(ns), r_.meta_text(tn)}.tag();
        const TypeRegistry* reg = r_.registry();
        if (id == static_cast<uint8_t>(ForyTypeId::kNamedStruct)) {
          const StructDesc* d = reg ? reg->find_struct(tag) : nullptr;
          if (!d) {
            r_.fail("unknown struct type " + tag);
            return nullptr;
          }
          return TypeDesc::struct_ref(*d);
        }
        const EnumDesc* e = reg ? reg->find_enum(tag) : nullptr;
        if (!e) {
          r_.fail("unknown enum type " + tag);
          return nullptr;
        }
        return TypeDesc::enum_ref(*e);
      }
      default:
        r_.fail("unsupported type id " + std::to_string(int(id)));
        return nullptr;
    }
  }

  Value any() {
    TypeRef t = type_info();
    if (!t || t->kind == TypeKind::kAny) return Value();
    return data(*t);
  }

  // Data of a known type; untyped containers are read from their headers.
  Value data(const TypeDesc& t) {
    if (!r_.ok()) return Value();
    switch (t.kind) {
      case TypeKind::kBool: return Value(r_.get_u8() != 0);
      case TypeKind::kInt8: return Value(int64_t{static_cast<int8_t>(r_.get_u8())});
      case TypeKind::kInt16: return Value(int64_t{r_.get_fixed<int16_t>()});
      case TypeKind::kInt32: return Value(int64_t{r_.get_varint32()});
      case TypeKind::kFixedInt32: return Value(int64_t{r_.get_fixed<int32_t>()});
      case TypeKind::kInt64: return Value(r_.get_varint64());
      case TypeKind::kFixedInt64: return Value(r_.get_fixed<int64_t>());
      case TypeKind::kTaggedInt64: return Value(r_.get_tagged_int64());
      case TypeKind::kUint8: return Value(uint64_t{r_.get_u8()});
      case TypeKind::kUint16: return Value(uint64_t{r_.get_fixed<uint16_t>()});
      case TypeKind::kUint32: return Value(uint64_t{r_.get_varuint32()});
      case TypeKind::kFixedUint32: return Value(uint64_t{r_.get_fixed<uint32_t>()});
      case TypeKind::kUint64: return Value(r_.get_varuint64());
      case TypeKind::kFixedUint64: return Value(r_.get_fixed<uint64_t>());
      case TypeKind::kTaggedUint64: return Value(r_.get_tagged_uint64());
      case TypeKind::kFloat32: return Value(static_cast<double>(r_.get_fixed<float>()));
      case TypeKind::kFloat64: return Value(r_.get_fixed<double>());
      case TypeKind::kString: return Value(r_.get_string());
      case TypeKind::kBytes: {
        Bytes b;
        r_.get_binary(b);
        return Value(std::move(b));
      }
      case TypeKind::kDate: return Value(int64_t{r_.get_fixed<int32_t>()});
      case TypeKind::kTimestamp: return Value(detail::read_timestamp_micros(r_));
      case TypeKind::kList:
      case TypeKind::kSet: return collection(*t.element);
      case TypeKind::kMap: return map(*t.key, *t.element);
      case TypeKind::kEnum: {
        uint32_t ordinal = r_.get_varuint32();
        if (!r_.ok()) return Value();
        if (ordinal >= t.enum_type->members().size()) {
          r_.fail("enum " + t.enum_type->wire_name().tag() + " has no ordinal " +
                  std::to_string(ordinal));
          return Value();
        }
        return Value(t.enum_type->members()[ordinal]);
      }
      case TypeKind::kStruct: return structure(*t.struct_type);
      case TypeKind::kOptional: return data(*t.element);
      case TypeKind::kAny: return any();
    }
    return Value();
  }

 private:
  // One element/key/value in a declared or header-described position.
  Value element(const TypeDesc* declared, bool flag, bool each_type_info,
                const TypeDesc& declared_elem) {
    if (flag && !detail::read_presence_flag(r_)) return Value();
    if (each_type_info || !declared) return any_as(declared_elem);
    return data(declared->unwrapped());
  }

  // Written type info must fit the declared type (the static path checks the same), so that a
  // decoded Value always re-encodes under its TypeDesc.
  bool conforms(const TypeDesc& actual, const TypeDesc& declared) {
    const TypeDesc& d = declared.unwrapped();
    if (d.kind == TypeKind::kAny || actual.kind == TypeKind::kAny) return true;  // any / NONE
    bool ok = actual.kind == d.kind;
    if (ok && d.kind == TypeKind::kStruct) ok = actual.struct_type->tag() == d.struct_type->tag();
    if (ok && d.kind == TypeKind::kEnum)
      ok = actual.enum_type->wire_name().tag() == d.enum_type->wire_name().tag();
    if (!ok && r_.ok())
      r_.fail("element type " + std::string(type_kind_name(actual.kind)) +
              " does not match the declared " + std::string(type_kind_name(d.kind)));
    return ok;
  }

  // A value with its own type info in a position whose type is declared: check, then read it
  // as the declared type.
  Value any_as(const TypeDesc& declared) {
    if (declared.unwrapped().kind == TypeKind::kAny) return any();
    TypeRef t = type_info();
    if (!t || t->kind == TypeKind::kAny) return Value();
    if (!conforms(*t, declared)) return Value();
    return data(declared.unwrapped());
  }

  // The type to read bare elements with, after a SAME_TYPE header's type info.
  const TypeDesc* pick(const TypeRef& actual, const TypeDesc& declared) {
    if (!actual || !conforms(*actual, declared)) return nullptr;
    if (declared.unwrapped().kind == TypeKind::kAny || actual->kind == TypeKind::kAny)
      return actual.get();
    return &declared;
  }

  Value collection(const TypeDesc& declared_elem) {
    uint32_t n = r_.get_count("collection");
    Value::List items;
    if (n == 0 || !r_.ok()) return Value(std::move(items));
    uint8_t header = r_.get_u8();
    if (header & kCollTrackingRef) {
      r_.fail("collection written with reference tracking is not supported");
      return Value();
    }
    bool has_null = header & kCollHasNull;
    TypeRef elem_type;
    const TypeDesc* elem = nullptr;
    bool each = false;
    if (header & kCollDeclElementType) {
      if (declared_elem.unwrapped().kind == TypeKind::kAny) {
        r_.fail("collection claims a declared element type but none is declared");
        return Value();
      }
      elem = &declared_elem;
    } else if (header & kCollSameType) {
      elem_type = type_info();
      if (!r_.ok()) return Value();
      elem = pick(elem_type, declared_elem);
      if (!r_.ok()) return Value();
    } else {
      each = true;
    }
    if (!r_.enter()) return Value();
    items.reserve(n);
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      if (elem && elem->kind == TypeKind::kAny && !each) {  // NONE element type: all None
        if (has_null) detail::read_presence_flag(r_);
        items.emplace_back();
        continue;
      }
      items.push_back(element(elem, has_null, each, declared_elem));
    }
    r_.leave();
    return Value(std::move(items));
  }

  Value map(const TypeDesc& key_t, const TypeDesc& value_t) {
    uint32_t total = r_.get_count("map", 2);
    Value::Map entries;
    if (total == 0 || !r_.ok()) return Value(std::move(entries));
    if (!r_.enter()) return Value();
    entries.reserve(total);
    while (total > 0 && r_.ok()) {
      uint8_t header = r_.get_u8();
      bool key_null = header & kMapKeyHasNull, value_null = header & kMapValueHasNull;
      bool key_decl = header & kMapKeyDeclType, value_decl = header & kMapValueDeclType;
      if (key_null || value_null) {
        Value k, v;
        if (!key_null) k = null_chunk_part(key_t, key_decl, header & kMapTrackKeyRef);
        if (!value_null) v = null_chunk_part(value_t, value_decl, header & kMapTrackValueRef);
        entries.emplace_back(std::move(k), std::move(v));
        --total;
        continue;
      }
      uint32_t size = r_.get_u8();
      if (r_.ok() && (size == 0 || size > total)) {
        r_.fail("map chunk size " + std::to_string(size) + " invalid (" + std::to_string(total) +
                " entries left)");
        break;
      }
      TypeRef kt, vt;
      const TypeDesc* kd = &key_t;
      const TypeDesc* vd = &value_t;
      if (key_decl && key_t.unwrapped().kind == TypeKind::kAny) {
        r_.fail("map chunk claims a declared key type but none is declared");
        break;
      }
      if (value_decl && value_t.unwrapped().kind == TypeKind::kAny) {
        r_.fail("map chunk claims a declared value type but none is declared");
        break;
      }
      if (!key_decl) kd = pick(kt = type_info(), key_t);
      if (!value_decl && r_.ok()) vd = pick(vt = type_info(), value_t);
      if (!r_.ok()) break;
      for (uint32_t i = 0; i < size && r_.ok(); ++i) {
        Value k = chunk_part(*kd, header & kMapTrackKeyRef);
        Value v = chunk_part(*vd, header & kMapTrackValueRef);
        entries.emplace_back(std::move(k), std::move(v));
      }
      total -= size;
    }
    r_.leave();
    return Value(std::move(entries));
  }
  Value chunk_part(const TypeDesc& t, bool tracked) {
    if (tracked && !detail::read_presence_flag(r_)) return Value();
    if (t.kind == TypeKind::kAny) return Value();  // NONE type info
    return data(t.unwrapped());
  }
  Value null_chunk_part(const TypeDesc& t, bool decl, bool tracked) {
    if (decl) {
      if (t.unwrapped().kind == TypeKind::kAny) {
        r_.fail("map entry claims a declared type but none is declared");
        return Value();
      }
      if (tracked && !detail::read_presence_flag(r_)) return Value();
      return data(t.unwrapped());
    }
    // pyfory's write_ref: flag, type info, data.
    if (!detail::read_presence_flag(r_)) return Value();
    return any_as(t);
  }

  Value structure(const StructDesc& d) {
    int32_t hash = r_.get_fixed<int32_t>();
    if (!r_.ok()) return Value();
    if (hash != d.struct_hash()) {
      r_.fail("struct hash mismatch for " + d.tag() + ": got " + std::to_string(hash) +
              ", expected " + std::to_string(d.struct_hash()) + " (schema differs)");
      return Value();
    }
    if (!r_.enter()) return Value();
    Value::Struct s;
    s.type = d.tag();
    s.fields.resize(d.fields().size());
    for (uint32_t i : d.wire_order()) {
      const FieldDesc& f = d.fields()[i];
      s.fields[i].first = f.name;
      s.fields[i].second = field(*f.type);
      if (!r_.ok()) break;
    }
    r_.leave();
    return Value(std::move(s));
  }

  ForyReader& r_;
};

}  // namespace

void write_any(ForyWriter& w, const Value& v) { ValueWriter(w).any(v); }

namespace {
Status encode_value_root(const Value& value, const TypeDesc& type, ForyWriter& w);
}  // namespace
void read_any(ForyReader& r, Value& out) { out = ValueReader(r).any(); }

Status fory_encode_value_to(const Value& value, const TypeDesc& type, ForyWriter& w) {
  // Untyped positions may hold structs: without a caller registry, the types reachable from
  // `type` resolve them (the same set fory_decode_value resolves names against).
  TypeRegistry local;
  bool own_registry = w.registry() == nullptr && type.unwrapped().kind == TypeKind::kStruct;
  if (own_registry) {
    local.add_static(*type.unwrapped().struct_type);
    w.set_registry(&local);
  }
  Status st = encode_value_root(value, type, w);
  if (own_registry) w.set_registry(nullptr);
  return st;
}

namespace {
Status encode_value_root(const Value& value, const TypeDesc& type, ForyWriter& w) {
  w.reset();
  w.put_u8(0x02);
  if (value.is_null()) {
    w.reset();
    w.put_u8(0x03);  // None root (serialization.pyx): header bit 0 + NULL flag
    w.put_u8(kNullFlag);
    return {};
  }
  w.put_u8(kNotNullValueFlag);
  ValueWriter vw(w);
  const TypeDesc& t = type.unwrapped();
  if (t.kind == TypeKind::kAny || is_untyped(t) || t.kind == TypeKind::kList ||
      t.kind == TypeKind::kSet || t.kind == TypeKind::kMap) {
    // pyfory writes root containers untyped (it has no declared element type at the root).
    vw.any(value);
  } else {
    vw.type_info(t);
    vw.data(value, t);
  }
  return detail::writer_status(w);
}
}  // namespace

Result<std::vector<uint8_t>> fory_encode_value(const Value& value, const TypeDesc& type) {
  ForyWriter w;
  ASTER_RETURN_IF_ERROR(fory_encode_value_to(value, type, w));
  return w.take_vector();
}

Status fory_encode_any_to(const Value& value, const TypeRegistry& registry, ForyWriter& w) {
  w.reset();
  w.set_registry(&registry);
  return fory_encode_value_to(value, *TypeDesc::scalar(TypeKind::kAny), w);
}

namespace {
Result<Value> decode_root(std::span<const uint8_t> data, const TypeDesc* type,
                          const TypeRegistry* registry) {
  ForyReader r(data);
  r.set_registry(registry);
  Value out;
  if (detail::read_root_prefix(r)) {
    ValueReader vr(r);
    if (!type || type->unwrapped().kind == TypeKind::kAny) {
      out = vr.any();
    } else {
      const TypeDesc& t = type->unwrapped();
      TypeRef actual = vr.type_info();
      if (r.ok() && actual) {
        bool match = actual->kind == t.kind ||
                     ((t.kind == TypeKind::kList || t.kind == TypeKind::kSet ||
                       t.kind == TypeKind::kMap) &&
                      actual->kind == t.kind);
        if (t.kind == TypeKind::kStruct)
          match = actual->kind == TypeKind::kStruct && actual->struct_type->tag() == t.struct_type->tag();
        if (!match) {
          r.fail("root type mismatch: expected " + std::string(type_kind_name(t.kind)) +
                 ", found " + std::string(type_kind_name(actual->kind)));
        } else {
          // Structs: read with the caller's desc; containers: headers describe elements, typed
          // elements use the caller's declared types.
          out = vr.data(t.kind == TypeKind::kStruct || t.kind == TypeKind::kEnum ? t : *actual);
        }
      }
    }
  } else if (!r.ok()) {
    // fallthrough to status
  }
  if (r.ok() && r.remaining() != 0)
    r.fail(std::to_string(r.remaining()) + " trailing bytes after the message");
  if (!r.ok()) return detail::reader_status(r, data);
  return out;
}
}  // namespace

Result<Value> fory_decode_value(std::span<const uint8_t> data, const TypeDesc& type) {
  // Struct/enum names in untyped positions resolve against the types reachable from `type`.
  TypeRegistry reg;
  if (type.unwrapped().kind == TypeKind::kStruct) reg.add_static(*type.unwrapped().struct_type);
  return decode_root(data, &type, &reg);
}

Result<Value> fory_decode_any(std::span<const uint8_t> data, const TypeRegistry& registry) {
  return decode_root(data, nullptr, &registry);
}

}  // namespace aster::codec
