// Runtime description of an Aster message type: the one shape every part reads.
//
// The same description drives Fory XLANG encode/decode (static and dynamic), JSON, the
// contract's TypeDef (canonical bytes), the manifest field schema and service dispatch.
// Static C++ types get theirs from one declaration (aster/codec/declare.hpp); the shell and
// raw transport build them at run time from a manifest (TypeDesc::list_of(...) etc.).
//
//   const aster::codec::StructDesc& d = aster::codec::struct_desc<CallHeader>();
//   for (const FieldDesc& f : d.fields())          // declaration order (contract numbering)
//     f.name;                                      // Python name, verbatim ("callId")
//     f.type->kind;                                // TypeKind::kString, ...
//     f.type->fory_type_id();                      // 21 (STRING), pyfory `TypeId`
//   d.wire_order();                                // indices in Fory field order
//   d.struct_hash();                               // int32 written after the type name
//
// Sources: pyfory 0.16.0 (apache/fory, tag v0.16.0), python/pyfory/: types.py `TypeId`,
// struct.py `group_fields` (wire order) and `compute_struct_fingerprint` (struct hash),
// meta/metastring.py (meta strings); user guide: docs/codec.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aster::codec {

class StructDesc;
class EnumDesc;

// pyfory 0.16.0 `TypeId` values (types.py). Only the ones Aster messages use are named.
enum class ForyTypeId : uint8_t {
  kUnknown = 0,
  kBool = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,  // fixed 4 bytes (pyfory.fixed_int32)
  kVarInt32 = 5,  // zig-zag varint (pyfory.int32)
  kInt64 = 6,  // fixed 8 bytes (pyfory.fixed_int64)
  kVarInt64 = 7,  // zig-zag varint (Python int, pyfory.int64)
  kTaggedInt64 = 8,
  kUint8 = 9,
  kUint16 = 10,
  kUint32 = 11,  // fixed (pyfory.fixed_uint32)
  kVarUint32 = 12,  // pyfory.uint32
  kUint64 = 13,  // fixed (pyfory.fixed_uint64)
  kVarUint64 = 14,  // pyfory.uint64
  kTaggedUint64 = 15,
  kFloat32 = 19,
  kFloat64 = 20,
  kString = 21,
  kList = 22,
  kSet = 23,
  kMap = 24,
  kEnum = 25,
  kNamedEnum = 26,
  kStruct = 27,
  kNamedStruct = 29,
  kNone = 36,
  kTimestamp = 38,
  kDate = 39,
  kBinary = 41,
};

// What a value of the type is. The integer kinds map 1:1 to pyfory's wire ids, because the
// encoding (fixed, varint, tagged) is part of the Python annotation (`int` = VARINT64:
// registry.py `_initialize_common`).
enum class TypeKind : uint8_t {
  kBool,
  kInt8,
  kInt16,
  kInt32,         // VARINT32 (pyfory.int32)
  kInt64,         // VARINT64 (Python int) — the default integer
  kFixedInt32,    // INT32
  kFixedInt64,    // INT64
  kTaggedInt64,   // TAGGED_INT64
  kUint8,
  kUint16,
  kUint32,        // VAR_UINT32 (pyfory.uint32)
  kUint64,        // VAR_UINT64 (pyfory.uint64)
  kFixedUint32,   // UINT32
  kFixedUint64,   // UINT64
  kTaggedUint64,  // TAGGED_UINT64
  kFloat32,
  kFloat64,       // Python float
  kString,
  kBytes,         // BINARY (Python bytes)
  kDate,          // DATE: int32 days since 1970-01-01 (datetime.date)
  kTimestamp,     // TIMESTAMP: int64 seconds + uint32 nanos (datetime.datetime)
  kList,          // element = item type; kAny item = untyped `list`
  kSet,
  kMap,           // key, element = value type; kAny = untyped `dict`
  kOptional,      // element = inner type; makes a field nullable (Optional[T])
  kEnum,          // NAMED_ENUM, travels as ordinal
  kStruct,        // NAMED_STRUCT
  kAny,           // no declared type: the value carries its own type info (collection.pxi)
};

std::string_view type_kind_name(TypeKind kind);

// The id pyfory writes for a value of this kind (types.py). kOptional/kAny → kUnknown.
constexpr ForyTypeId fory_type_id_of(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBool: return ForyTypeId::kBool;
    case TypeKind::kInt8: return ForyTypeId::kInt8;
    case TypeKind::kInt16: return ForyTypeId::kInt16;
    case TypeKind::kInt32: return ForyTypeId::kVarInt32;
    case TypeKind::kInt64: return ForyTypeId::kVarInt64;
    case TypeKind::kFixedInt32: return ForyTypeId::kInt32;
    case TypeKind::kFixedInt64: return ForyTypeId::kInt64;
    case TypeKind::kTaggedInt64: return ForyTypeId::kTaggedInt64;
    case TypeKind::kUint8: return ForyTypeId::kUint8;
    case TypeKind::kUint16: return ForyTypeId::kUint16;
    case TypeKind::kUint32: return ForyTypeId::kVarUint32;
    case TypeKind::kUint64: return ForyTypeId::kVarUint64;
    case TypeKind::kFixedUint32: return ForyTypeId::kUint32;
    case TypeKind::kFixedUint64: return ForyTypeId::kUint64;
    case TypeKind::kTaggedUint64: return ForyTypeId::kTaggedUint64;
    case TypeKind::kFloat32: return ForyTypeId::kFloat32;
    case TypeKind::kFloat64: return ForyTypeId::kFloat64;
    case TypeKind::kString: return ForyTypeId::kString;
    case TypeKind::kBytes: return ForyTypeId::kBinary;
    case TypeKind::kDate: return ForyTypeId::kDate;
    case TypeKind::kTimestamp: return ForyTypeId::kTimestamp;
    case TypeKind::kList: return ForyTypeId::kList;
    case TypeKind::kSet: return ForyTypeId::kSet;
    case TypeKind::kMap: return ForyTypeId::kMap;
    case TypeKind::kEnum: return ForyTypeId::kNamedEnum;
    case TypeKind::kStruct: return ForyTypeId::kNamedStruct;
    case TypeKind::kOptional:
    case TypeKind::kAny: return ForyTypeId::kUnknown;
  }
  return ForyTypeId::kUnknown;
}

// One type. Immutable once built; shared through TypeRef. Struct and enum types point at
// their StructDesc/EnumDesc (not owned: static declarations live forever, run-time ones are
// owned by a TypeRegistry), which is how recursive types are described without cycles.
struct TypeDesc {
  TypeKind kind = TypeKind::kAny;
  std::shared_ptr<const TypeDesc> element;  // list/set item, map value, optional inner
  std::shared_ptr<const TypeDesc> key;      // map key
  const StructDesc* struct_type = nullptr;  // kStruct
  const EnumDesc* enum_type = nullptr;      // kEnum

  // The id pyfory writes/hashes for this type (types.py). kOptional answers for its inner type.
  ForyTypeId fory_type_id() const;
  // kOptional → inner type; anything else → itself.
  const TypeDesc& unwrapped() const { return kind == TypeKind::kOptional ? *element : *this; }
  bool nullable() const { return kind == TypeKind::kOptional; }

  // Shared immutable descs for the scalar kinds (kBool..kTimestamp, kAny).
  static std::shared_ptr<const TypeDesc> scalar(TypeKind kind);
  static std::shared_ptr<const TypeDesc> list_of(std::shared_ptr<const TypeDesc> item);
  static std::shared_ptr<const TypeDesc> set_of(std::shared_ptr<const TypeDesc> item);
  static std::shared_ptr<const TypeDesc> map_of(std::shared_ptr<const TypeDesc> key,
                                                std::shared_ptr<const TypeDesc> value);
  static std::shared_ptr<const TypeDesc> optional_of(std::shared_ptr<const TypeDesc> inner);
  static std::shared_ptr<const TypeDesc> struct_ref(const StructDesc& desc);
  static std::shared_ptr<const TypeDesc> enum_ref(const EnumDesc& desc);
};
using TypeRef = std::shared_ptr<const TypeDesc>;

// Hook a static declaration fills in so the static codec can reach the member without knowing
// T (type-erased; nullptr for run-time descs). Defined in aster/codec/fory_static.hpp.
struct FieldAccess;

struct FieldDesc {
  std::string name;  // the Python field name, verbatim (hash, order, JSON key): "callId"
  TypeRef type;      // kOptional when the Python annotation is Optional[...]
  const FieldAccess* access = nullptr;  // set by declare.hpp for C++ structs
};

// A wire tag "ns/Name" splits at the last '/'; no '/' means namespace ""
// (aster-rpc@0972ac9:bindings/python/aster/codec.py `ForyCodec.__init__`).
struct WireName {
  std::string ns;
  std::string name;
  static WireName from_tag(std::string_view tag);
  std::string tag() const { return ns.empty() ? name : ns + "/" + name; }
};

// Meta string bytes as pyfory writes them (metastring.py): encoding id + packed payload, plus the
// 8-byte hash used when the payload exceeds 16 bytes.
struct EncodedMetaString {
  uint8_t encoding = 0;
  std::string bytes;
  int64_t long_hash = 0;
};

// A named struct (NAMED_STRUCT 29). Fields stay in declaration order; derived data (Fory wire
// order, struct hash, meta strings) is computed once by finalize().
class StructDesc {
 public:
  StructDesc() = default;
  StructDesc(WireName wire_name, std::vector<FieldDesc> fields);

  const WireName& wire_name() const { return wire_name_; }
  std::string tag() const { return wire_name_.tag(); }
  const std::vector<FieldDesc>& fields() const { return fields_; }
  // Indices into fields() in the order pyfory writes them (struct.py `group_fields`).
  const std::vector<uint32_t>& wire_order() const { return wire_order_; }
  int32_t struct_hash() const { return hash_; }
  std::string_view fingerprint() const { return fingerprint_; }
  const EncodedMetaString& ns_meta() const { return ns_meta_; }
  const EncodedMetaString& name_meta() const { return name_meta_; }
  // 02 ff 1d <ns> <typename> <hash>: how every message with this root starts (fast paths).
  const std::string& root_prefix() const { return root_prefix_; }
  // Index of the field with this Python name, or -1.
  int find_field(std::string_view name) const;

  // For two-phase construction (recursive static types): set fields, then finalize().
  void set_wire_name(WireName wire_name) { wire_name_ = std::move(wire_name); }
  void set_fields(std::vector<FieldDesc> fields) { fields_ = std::move(fields); }
  void finalize();

 private:
  WireName wire_name_;
  std::vector<FieldDesc> fields_;
  std::vector<uint32_t> wire_order_;
  std::string fingerprint_;
  int32_t hash_ = 47;
  EncodedMetaString ns_meta_;
  EncodedMetaString name_meta_;
  std::string root_prefix_;
};

// A named enum (NAMED_ENUM 26): member names in declaration order; ordinal = index
// (pyfory serialization.pyx `EnumSerializer`).
// An enum known only by its Python member *values* (a 0.1.2 manifest's `enum_values`) also
// has `json_values`: the JSON text of each member's value ("1", "\"red\""), which is how JSON
// mode writes and reads it (Python's `json.dumps` of an IntEnum is its value); its members are
// then named by those values ("1", "red"). A C++ enum declared with ASTER_ENUMERATOR_VALUE has
// both: member names, and the Python values in `json_values`.
// The JSON text of a string as Python's `json.dumps` writes it (ensure_ascii): the form of a
// str-valued member in `EnumDesc::json_values`.
std::string json_string(std::string_view s);

class EnumDesc {
 public:
  EnumDesc() = default;
  EnumDesc(WireName wire_name, std::vector<std::string> members,
           std::vector<std::string> json_values = {});

  const WireName& wire_name() const { return wire_name_; }
  const std::vector<std::string>& members() const { return members_; }
  // Empty when members have names; else one JSON text per member.
  const std::vector<std::string>& json_values() const { return json_values_; }
  int find_member(std::string_view name) const;
  const EncodedMetaString& ns_meta() const { return ns_meta_; }
  const EncodedMetaString& name_meta() const { return name_meta_; }

 private:
  WireName wire_name_;
  std::vector<std::string> members_;
  std::vector<std::string> json_values_;
  EncodedMetaString ns_meta_;
  EncodedMetaString name_meta_;
};

// Owner of run-time struct/enum descriptions (shell, raw transport, tests), looked up by tag.
// Two-phase so recursive types work: declare every struct by name, then define fields that
// refer to any declared struct, then finalize. Addresses stay valid while the registry lives.
class TypeRegistry {
 public:
  StructDesc& declare_struct(std::string_view tag);
  const EnumDesc& add_enum(std::string_view tag, std::vector<std::string> members,
                           std::vector<std::string> json_values = {});
  StructDesc* find_struct(std::string_view tag);
  const StructDesc* find_struct(std::string_view tag) const;
  const EnumDesc* find_enum(std::string_view tag) const;
  // Adds a static type's description (and every struct/enum it reaches) for lookups by tag.
  void add_static(const StructDesc& desc);

 private:
  std::vector<std::unique_ptr<StructDesc>> owned_structs_;
  std::vector<std::unique_ptr<EnumDesc>> owned_enums_;
  std::vector<const StructDesc*> structs_;
  std::vector<const EnumDesc*> enums_;
};

}  // namespace aster::codec
