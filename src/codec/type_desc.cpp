// TypeDesc/StructDesc/EnumDesc: derived wire data (field order, struct hash, meta strings), as
// pyfory 0.16.0 computes them (python/pyfory/struct.py, meta/metastring.py).
#include "aster/codec/type_desc.hpp"

#include <algorithm>
#include <tuple>

#include "aster/codec/detail/fory_buffer.hpp"

namespace aster::codec {

std::string_view type_kind_name(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt8: return "int8";
    case TypeKind::kInt16: return "int16";
    case TypeKind::kInt32: return "int32";
    case TypeKind::kInt64: return "int64";
    case TypeKind::kFixedInt32: return "fixed_int32";
    case TypeKind::kFixedInt64: return "fixed_int64";
    case TypeKind::kTaggedInt64: return "tagged_int64";
    case TypeKind::kUint8: return "uint8";
    case TypeKind::kUint16: return "uint16";
    case TypeKind::kUint32: return "uint32";
    case TypeKind::kUint64: return "uint64";
    case TypeKind::kFixedUint32: return "fixed_uint32";
    case TypeKind::kFixedUint64: return "fixed_uint64";
    case TypeKind::kTaggedUint64: return "tagged_uint64";
    case TypeKind::kFloat32: return "float32";
    case TypeKind::kFloat64: return "float64";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kDate: return "date";
    case TypeKind::kTimestamp: return "timestamp";
    case TypeKind::kList: return "list";
    case TypeKind::kSet: return "set";
    case TypeKind::kMap: return "map";
    case TypeKind::kOptional: return "optional";
    case TypeKind::kEnum: return "enum";
    case TypeKind::kStruct: return "struct";
    case TypeKind::kAny: return "any";
  }
  return "?";
}

ForyTypeId TypeDesc::fory_type_id() const { return fory_type_id_of(unwrapped().kind); }

TypeRef TypeDesc::scalar(TypeKind kind) {
  // One shared instance per scalar kind; built once, immutable.
  static const auto table = [] {
    std::array<TypeRef, static_cast<size_t>(TypeKind::kAny) + 1> t;
    for (size_t i = 0; i < t.size(); ++i) {
      auto d = std::make_shared<TypeDesc>();
      d->kind = static_cast<TypeKind>(i);
      t[i] = d;
    }
    return t;
  }();
  return table[static_cast<size_t>(kind)];
}
TypeRef TypeDesc::list_of(TypeRef item) {
  auto d = std::make_shared<TypeDesc>();
  d->kind = TypeKind::kList;
  d->element = std::move(item);
  return d;
}
TypeRef TypeDesc::set_of(TypeRef item) {
  auto d = std::make_shared<TypeDesc>();
  d->kind = TypeKind::kSet;
  d->element = std::move(item);
  return d;
}
TypeRef TypeDesc::map_of(TypeRef key, TypeRef value) {
  auto d = std::make_shared<TypeDesc>();
  d->kind = TypeKind::kMap;
  d->key = std::move(key);
  d->element = std::move(value);
  return d;
}
TypeRef TypeDesc::optional_of(TypeRef inner) {
  if (inner->kind == TypeKind::kOptional) return inner;
  auto d = std::make_shared<TypeDesc>();
  d->kind = TypeKind::kOptional;
  d->element = std::move(inner);
  return d;
}
TypeRef TypeDesc::struct_ref(const StructDesc& desc) {
  auto d = std::make_shared<TypeDesc>();
  d->kind = TypeKind::kStruct;
  d->struct_type = &desc;
  return d;
}
TypeRef TypeDesc::enum_ref(const EnumDesc& desc) {
  auto d = std::make_shared<TypeDesc>();
  d->kind = TypeKind::kEnum;
  d->enum_type = &desc;
  return d;
}

WireName WireName::from_tag(std::string_view tag) {
  size_t slash = tag.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(tag)};
  return {std::string(tag.substr(0, slash)), std::string(tag.substr(slash + 1))};
}

namespace {

// Field groups of pyfory's group_fields (struct.py), in wire order.
enum class FieldGroup { kPrimitive, kNullablePrimitive, kBuiltin, kList, kSet, kMap, kOther };

bool is_compressed(ForyTypeId id) {
  switch (id) {
    case ForyTypeId::kVarInt32:
    case ForyTypeId::kVarInt64:
    case ForyTypeId::kTaggedInt64:
    case ForyTypeId::kVarUint32:
    case ForyTypeId::kVarUint64:
    case ForyTypeId::kTaggedUint64: return true;
    default: return false;
  }
}
int primitive_size(ForyTypeId id) {
  switch (id) {
    case ForyTypeId::kBool:
    case ForyTypeId::kInt8:
    case ForyTypeId::kUint8: return 1;
    case ForyTypeId::kInt16:
    case ForyTypeId::kUint16: return 2;
    case ForyTypeId::kInt32:
    case ForyTypeId::kVarInt32:
    case ForyTypeId::kUint32:
    case ForyTypeId::kVarUint32:
    case ForyTypeId::kFloat32: return 4;
    default: return 8;
  }
}

// An untyped field (aster::Value, or list/dict whose parameters are unknown) has no declared
// serializer in pyfory: it hashes as 0 and sorts into "other".
bool is_untyped(const TypeDesc& t) { return t.kind == TypeKind::kAny; }

FieldGroup group_of(const FieldDesc& f) {
  const TypeDesc& t = f.type->unwrapped();
  if (is_untyped(t)) return FieldGroup::kOther;
  ForyTypeId id = t.fory_type_id();
  auto n = static_cast<int>(id);
  if (n >= 1 && n <= 20) return f.type->nullable() ? FieldGroup::kNullablePrimitive : FieldGroup::kPrimitive;
  switch (t.kind) {
    case TypeKind::kList: return FieldGroup::kList;
    case TypeKind::kSet: return FieldGroup::kSet;
    case TypeKind::kMap: return FieldGroup::kMap;
    case TypeKind::kStruct:
    case TypeKind::kEnum: return FieldGroup::kOther;
    default: return FieldGroup::kBuiltin;
  }
}

// Type id in the fingerprint: 0 for structs, enums and untyped fields (struct.py
// `compute_struct_fingerprint`).
int fingerprint_type_id(const FieldDesc& f) {
  const TypeDesc& t = f.type->unwrapped();
  if (is_untyped(t) || t.kind == TypeKind::kStruct || t.kind == TypeKind::kEnum) return 0;
  return static_cast<int>(t.fory_type_id());
}

}  // namespace

StructDesc::StructDesc(WireName wire_name, std::vector<FieldDesc> fields)
    : wire_name_(std::move(wire_name)), fields_(std::move(fields)) {
  finalize();
}

void StructDesc::finalize() {
  ns_meta_ = encode_meta_string(wire_name_.ns, /*is_namespace=*/true);
  name_meta_ = encode_meta_string(wire_name_.name, /*is_namespace=*/false);

  // Fingerprint: fields sorted by Python name (code-point order = UTF-8 byte order).
  std::vector<uint32_t> by_name(fields_.size());
  for (uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(),
            [&](uint32_t a, uint32_t b) { return fields_[a].name < fields_[b].name; });
  fingerprint_.clear();
  for (uint32_t i : by_name) {
    const FieldDesc& f = fields_[i];
    fingerprint_ += f.name;
    fingerprint_ += ',';
    fingerprint_ += std::to_string(fingerprint_type_id(f));
    fingerprint_ += ",0,";
    fingerprint_ += f.type->nullable() ? '1' : '0';
    fingerprint_ += ';';
  }
  if (fingerprint_.empty()) {
    hash_ = 47;
  } else {
    hash_ = static_cast<int32_t>(static_cast<uint32_t>(murmur3_x64_128_h1(fingerprint_, 47)));
  }

  {
    ForyWriter w;
    w.put_u8(0x02);
    w.put_u8(kNotNullValueFlag);
    w.put_named_type(static_cast<uint8_t>(ForyTypeId::kNamedStruct), ns_meta_, name_meta_);
    w.put_fixed<int32_t>(hash_);
    root_prefix_.assign(reinterpret_cast<const char*>(w.bytes().data()), w.size());
  }

  // Wire order (struct.py `group_fields`).
  wire_order_ = by_name;
  auto key = [&](uint32_t i) {
    const FieldDesc& f = fields_[i];
    FieldGroup g = group_of(f);
    int id = static_cast<int>(f.type->unwrapped().fory_type_id());
    if (g == FieldGroup::kPrimitive || g == FieldGroup::kNullablePrimitive) {
      ForyTypeId fid = f.type->unwrapped().fory_type_id();
      return std::make_tuple(static_cast<int>(g), is_compressed(fid) ? 1 : 0, -primitive_size(fid),
                             -id);
    }
    if (g == FieldGroup::kOther) return std::make_tuple(static_cast<int>(g), 0, 0, 0);
    return std::make_tuple(static_cast<int>(g), 0, 0, id);
  };
  std::stable_sort(wire_order_.begin(), wire_order_.end(),
                   [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
}

int StructDesc::find_field(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].name == name) return static_cast<int>(i);
  return -1;
}

EnumDesc::EnumDesc(WireName wire_name, std::vector<std::string> members,
                   std::vector<std::string> json_values)
    : wire_name_(std::move(wire_name)),
      members_(std::move(members)),
      json_values_(std::move(json_values)) {
  ns_meta_ = encode_meta_string(wire_name_.ns, true);
  name_meta_ = encode_meta_string(wire_name_.name, false);
}

int EnumDesc::find_member(std::string_view name) const {
  for (size_t i = 0; i < members_.size(); ++i)
    if (members_[i] == name) return static_cast<int>(i);
  return -1;
}

StructDesc& TypeRegistry::declare_struct(std::string_view tag) {
  if (StructDesc* existing = find_struct(tag)) return *existing;
  owned_structs_.push_back(std::make_unique<StructDesc>());
  StructDesc& d = *owned_structs_.back();
  d.set_wire_name(WireName::from_tag(tag));
  d.finalize();
  structs_.push_back(&d);
  return d;
}

const EnumDesc& TypeRegistry::add_enum(std::string_view tag, std::vector<std::string> members,
                                       std::vector<std::string> json_values) {
  owned_enums_.push_back(std::make_unique<EnumDesc>(WireName::from_tag(tag), std::move(members),
                                                    std::move(json_values)));
  enums_.push_back(owned_enums_.back().get());
  return *owned_enums_.back();
}

StructDesc* TypeRegistry::find_struct(std::string_view tag) {
  for (auto& p : owned_structs_)
    if (p->tag() == tag) return p.get();
  return nullptr;
}
const StructDesc* TypeRegistry::find_struct(std::string_view tag) const {
  for (const StructDesc* p : structs_)
    if (p->tag() == tag) return p;
  return nullptr;
}
const EnumDesc* TypeRegistry::find_enum(std::string_view tag) const {
  for (const EnumDesc* p : enums_)
    if (p->wire_name().tag() == tag) return p;
  return nullptr;
}

namespace {
void collect(const TypeDesc& t, std::vector<const StructDesc*>& structs,
             std::vector<const EnumDesc*>& enums);
void collect_struct(const StructDesc& d, std::vector<const StructDesc*>& structs,
                    std::vector<const EnumDesc*>& enums) {
  if (std::find(structs.begin(), structs.end(), &d) != structs.end()) return;
  structs.push_back(&d);
  for (const FieldDesc& f : d.fields()) collect(*f.type, structs, enums);
}
void collect(const TypeDesc& t, std::vector<const StructDesc*>& structs,
             std::vector<const EnumDesc*>& enums) {
  if (t.element) collect(*t.element, structs, enums);
  if (t.key) collect(*t.key, structs, enums);
  if (t.struct_type) collect_struct(*t.struct_type, structs, enums);
  if (t.enum_type && std::find(enums.begin(), enums.end(), t.enum_type) == enums.end())
    enums.push_back(t.enum_type);
}
}  // namespace

void TypeRegistry::add_static(const StructDesc& desc) { collect_struct(desc, structs_, enums_); }

}  // namespace aster::codec
