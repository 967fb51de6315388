#include "aster/contract/manifest_types.hpp"

#include "aster/contract/contract.hpp"
#include "aster/contract/identity.hpp"

namespace aster::contract {

using codec::TypeDesc;
using codec::TypeRef;
using CKind = codec::TypeKind;

namespace {

std::string tag_of(const TypeDef& td) {
  return td.package.empty() ? td.name : td.package + "/" + td.name;
}

Status missing(const std::string& where, const std::string& what) {
  return Status(StatusCode::kNotFound, where + ": " + what);
}

Result<TypeRef> scalar_for_kind(const std::string& kind) {
  if (kind == "string") return TypeDesc::scalar(CKind::kString);
  if (kind == "int") return TypeDesc::scalar(CKind::kInt64);
  if (kind == "float") return TypeDesc::scalar(CKind::kFloat64);
  if (kind == "bool") return TypeDesc::scalar(CKind::kBool);
  if (kind == "bytes") return TypeDesc::scalar(CKind::kBytes);
  return Status(StatusCode::kInvalidArgument, kind);
}

}  // namespace

ManifestTypes::ManifestTypes(std::vector<ContractManifest> manifests,
                             std::vector<TypeDef> type_defs)
    : manifests_(std::move(manifests)),
      type_defs_(std::move(type_defs)),
      registry_(std::make_unique<codec::TypeRegistry>()) {
  auto note_enums = [&](const std::vector<FieldSchema>& fields) {
    for (const auto& f : fields) {
      if (f.kind == "enum" && f.ref_name && f.enum_values) {
        enum_values_.emplace(*f.ref_name, &*f.enum_values);
      }
    }
  };
  for (const auto& m : manifests_) {
    for (const auto& md : m.methods) {
      // The shell's rule (sheet §6.3): the first registration of a tag wins.
      if (!md.request_wire_tag.empty()) {
        schemas_.emplace(md.request_wire_tag, Schema{md.request_type, &md.fields});
        tags_by_name_[md.request_type].insert(md.request_wire_tag);
      }
      if (!md.response_wire_tag.empty()) {
        schemas_.emplace(md.response_wire_tag, Schema{md.response_type, &md.response_fields});
        tags_by_name_[md.response_type].insert(md.response_wire_tag);
      }
      note_enums(md.fields);
      note_enums(md.response_fields);
      for (const auto* fields : {&md.fields, &md.response_fields}) {
        for (const auto& f : *fields) {
          if (f.wire_tag && f.ref_name && !f.wire_tag->empty()) {
            tags_by_name_[*f.ref_name].insert(*f.wire_tag);
          }
          if (f.item_wire_tag && f.item_ref && !f.item_wire_tag->empty()) {
            tags_by_name_[*f.item_ref].insert(*f.item_wire_tag);
          }
        }
      }
    }
  }
  for (const auto& td : type_defs_) {
    std::string tag = tag_of(td);
    by_tag_.emplace(tag, &td);
    tag_by_hash_.emplace(to_hex(type_hash(td)), tag);
    tag_by_graph_name_.emplace(td.package + "." + td.name, tag);
    tags_by_name_[display_name(codec::WireName{td.package, td.name})].insert(tag);
  }
}

Result<std::string> ManifestTypes::tag_for_name(const std::string& name,
                                                const std::string& where) const {
  if (schemas_.count(name) || by_tag_.count(name)) return name;  // already a wire tag
  auto it = tags_by_name_.find(name);
  if (it == tags_by_name_.end() || it->second.empty()) {
    return missing(where, "no schema for type '" + name +
                              "' (not a request/response type of the manifest; pass the "
                              "contract's types/*.bin with --types)");
  }
  if (it->second.size() > 1) {
    std::string tags;
    for (const auto& t : it->second) tags += (tags.empty() ? "" : ", ") + t;
    return Status(
        StatusCode::kInvalidArgument,
        where + ": type name '" + name + "' is ambiguous (" + tags + "); give the wire tag");
  }
  return *it->second.begin();
}

Result<TypeRef> ManifestTypes::find(std::string_view name) {
  auto tag = tag_for_name(std::string(name), "--type " + std::string(name));
  ASTER_RETURN_IF_ERROR(tag);
  auto desc = define(*tag, *tag);
  ASTER_RETURN_IF_ERROR(desc);
  return TypeDesc::struct_ref(**desc);
}

Result<const codec::StructDesc*> ManifestTypes::define(const std::string& tag,
                                                       const std::string& needed_by) {
  codec::StructDesc& desc = registry_->declare_struct(tag);
  if (!defined_.insert(tag).second) return &desc;  // done, or in progress (recursive type)
  std::vector<codec::FieldDesc> fields;
  Status st = define_fields(tag, needed_by, fields);
  if (!st.is_ok()) {
    // Forget the half-built definition: a later lookup must fail the same way, not see a
    // struct without fields. (Types it reached stay defined; they are complete.)
    defined_.erase(tag);
    return st;
  }
  desc.set_fields(std::move(fields));
  desc.finalize();
  return &desc;
}

Status ManifestTypes::define_fields(const std::string& tag, const std::string& needed_by,
                                    std::vector<codec::FieldDesc>& fields) {
  auto schema = schemas_.find(tag);
  auto td = by_tag_.find(tag);
  if (schema == schemas_.end() && td == by_tag_.end()) {
    return missing(needed_by, "no schema for type '" + tag +
                                  "' (pass the contract's types/*.bin with --types)");
  }
  if (schema != schemas_.end()) {
    for (const auto& f : *schema->second.fields) {
      std::string where = tag + "." + f.name;
      TypeRef type;
      if (td != by_tag_.end()) {
        for (const auto& fd : td->second->fields) {
          if (fd.name != f.name || fd.type_kind == TypeKind::kAny) continue;
          auto t = from_type_def(fd, where);
          ASTER_RETURN_IF_ERROR(t);
          type = *t;
        }
      }
      if (!type) {
        auto t = from_schema(f, where);
        ASTER_RETURN_IF_ERROR(t);
        type = *t;
      }
      fields.push_back({f.name, type});
    }
  } else {
    for (const auto& fd : td->second->fields) {
      std::string where = tag + "." + fd.name;
      if (fd.type_kind == TypeKind::kAny) {
        return missing(where,
                       "the contract describes this field only as ANY (an enum or a "
                       "nested generic) and no manifest schema covers its type");
      }
      auto t = from_type_def(fd, where);
      ASTER_RETURN_IF_ERROR(t);
      fields.push_back({fd.name, *t});
    }
  }
  return Status::ok();
}

Result<TypeRef> ManifestTypes::enum_type(const std::string& ref_name, const std::string& where) {
  if (const codec::EnumDesc* e = registry_->find_enum(ref_name)) return TypeDesc::enum_ref(*e);
  auto it = enum_values_.find(ref_name);
  if (it == enum_values_.end()) {
    return missing(where, "members of enum '" + ref_name + "' are not in the manifest");
  }
  std::vector<std::string> members;
  for (const auto& v : *it->second)
    members.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return TypeDesc::enum_ref(registry_->add_enum(ref_name, std::move(members)));
}

Result<TypeRef> ManifestTypes::from_kind(const std::string& kind,
                                         const std::optional<std::string>& ref,
                                         const std::optional<std::string>& wire_tag,
                                         const std::string& where) {
  if (auto s = scalar_for_kind(kind); s.is_ok()) return s;
  if (kind == "enum") {
    if (!ref) return missing(where, "enum without ref_name");
    return enum_type(*ref, where);
  }
  if (kind == "ref") {
    std::string tag;
    if (wire_tag && !wire_tag->empty()) {
      tag = *wire_tag;
    } else {
      if (!ref) return missing(where, "ref without wire_tag or ref_name");
      auto t = tag_for_name(*ref, where);
      ASTER_RETURN_IF_ERROR(t);
      tag = *t;
    }
    auto d = define(tag, where);
    ASTER_RETURN_IF_ERROR(d);
    return TypeDesc::struct_ref(**d);
  }
  return missing(where, "a nested '" + kind + "' element is not described by the manifest");
}

Result<TypeRef> ManifestTypes::from_schema(const FieldSchema& f, const std::string& where) {
  TypeRef t;
  if (f.kind == "list") {
    auto item =
        from_kind(f.item_kind.value_or("string"), f.item_ref, f.item_wire_tag, where + "[]");
    ASTER_RETURN_IF_ERROR(item);
    TypeRef e = *item;
    if (f.item_nullable.value_or(false)) e = TypeDesc::optional_of(e);
    t = TypeDesc::list_of(e);
  } else if (f.kind == "map") {
    auto key = scalar_for_kind(f.key_kind.value_or("string"));
    if (!key.is_ok()) return missing(where, "map key kind '" + *f.key_kind + "' is not a scalar");
    auto value =
        from_kind(f.value_kind.value_or("string"), f.value_ref, std::nullopt, where + "{}");
    ASTER_RETURN_IF_ERROR(value);
    TypeRef v = *value;
    if (f.value_nullable.value_or(false)) v = TypeDesc::optional_of(v);
    t = TypeDesc::map_of(*key, v);
  } else {
    auto base = from_kind(f.kind, f.ref_name, f.wire_tag, where);
    ASTER_RETURN_IF_ERROR(base);
    t = *base;
  }
  return f.nullable ? TypeDesc::optional_of(t) : t;
}

Result<TypeRef> ManifestTypes::from_type_def_base(TypeKind kind, const std::string& primitive,
                                                  const std::vector<uint8_t>& ref,
                                                  const std::string& self_ref_name,
                                                  const std::string& where) {
  switch (kind) {
    case TypeKind::kPrimitive:
      if (primitive == "string") return TypeDesc::scalar(CKind::kString);
      if (primitive == "int64") return TypeDesc::scalar(CKind::kInt64);
      if (primitive == "float64") return TypeDesc::scalar(CKind::kFloat64);
      if (primitive == "bool") return TypeDesc::scalar(CKind::kBool);
      if (primitive == "binary") return TypeDesc::scalar(CKind::kBytes);
      return missing(where, "unsupported primitive '" + primitive + "'");
    case TypeKind::kRef: {
      auto it = tag_by_hash_.find(to_hex(ref));
      if (it == tag_by_hash_.end()) {
        return missing(where, "no schema for type " + to_hex(ref) + " (types/" + to_hex(ref) +
                                  ".bin is not among --types)");
      }
      auto d = define(it->second, where);
      ASTER_RETURN_IF_ERROR(d);
      return TypeDesc::struct_ref(**d);
    }
    case TypeKind::kSelfRef: {
      auto it = tag_by_graph_name_.find(self_ref_name);
      if (it == tag_by_graph_name_.end())
        return missing(where, "no schema for type '" + self_ref_name + "'");
      auto d = define(it->second, where);
      ASTER_RETURN_IF_ERROR(d);
      return TypeDesc::struct_ref(**d);
    }
    case TypeKind::kAny:
      break;
  }
  return missing(where, "described only as ANY");
}

Result<TypeRef> ManifestTypes::from_type_def(const FieldDef& f, const std::string& where) {
  auto value =
      from_type_def_base(f.type_kind, f.type_primitive, f.type_ref, f.self_ref_name, where);
  ASTER_RETURN_IF_ERROR(value);
  TypeRef t;
  switch (f.container) {
    case ContainerKind::kNone:
      t = *value;
      break;
    case ContainerKind::kList:
      t = TypeDesc::list_of(*value);
      break;
    case ContainerKind::kSet:
      t = TypeDesc::set_of(*value);
      break;
    case ContainerKind::kMap: {
      auto key = from_type_def_base(f.container_key_kind, f.container_key_primitive,
                                    f.container_key_ref, "", where + "{key}");
      ASTER_RETURN_IF_ERROR(key);
      t = TypeDesc::map_of(*key, *value);
      break;
    }
  }
  return f.optional ? TypeDesc::optional_of(t) : t;
}

}  // namespace aster::contract
