#include "aster/contract/manifest_types.hpp"

#include <cctype>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/contract/contract.hpp"
#include "aster/contract/identity.hpp"

namespace aster::contract {

using codec::TypeDesc;
using codec::TypeRef;
using codec::WireName;
using CKind = codec::TypeKind;

namespace {

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

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The wire identity of a TypeDef. 0.1.2's TypeDef package is `__fory_namespace__`, or the
// Python module when that is empty (aster-rpc@0972ac9:bindings/python/aster/contract/
// identity.py `_get_package_name`), so a `@wire_type("Name")` tag without '/' has package
// `module` in its TypeDef but namespace "" on the wire. The Python tag, where the manifest
// gives it, tells the two apart; without it (a type nested deeper than the request's own
// fields) the TypeDef's package is taken as the namespace — right for default tags and for
// every tag with a '/'.
WireName wire_name_of(const TypeDef& td, const std::string& python_tag) {
  if (python_tag.find('/') != std::string::npos) return WireName::from_tag(python_tag);
  if (!python_tag.empty() && python_tag == td.name) return WireName{"", td.name};
  return WireName{td.package, td.name};
}

std::string short_name(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

ManifestTypes::ManifestTypes(std::vector<ContractManifest> manifests,
                             std::vector<TypeBlob> type_blobs)
    : manifests_(std::move(manifests)),
      blobs_(std::move(type_blobs)),
      registry_(std::make_unique<codec::TypeRegistry>()) {
  index();
}

ManifestTypes::ManifestTypes(const Collection& collection)
    : ManifestTypes(std::vector<ContractManifest>{collection.manifest}, collection.types) {}

void ManifestTypes::add_alias(const std::string& alias, const std::string& canonical) {
  if (!alias.empty()) aliases_[alias].insert(canonical);
}

const TypeDef* ManifestTypes::match_type_def(const std::string& python_tag) const {
  if (python_tag.empty()) return nullptr;
  const TypeDef* by_name = nullptr;
  WireName slash = WireName::from_tag(python_tag);
  for (const auto& b : blobs_) {
    const TypeDef& td = b.type_def;
    if (python_tag.find('/') != std::string::npos) {
      if (td.package == slash.ns && td.name == slash.name) return &td;
      if (slash.ns.empty() && td.name == slash.name) by_name = &td;  // "/Name": package = module
    } else {
      if (!td.package.empty() && td.package + "." + td.name == python_tag) return &td;  // default
      if (td.name == python_tag) by_name = &td;  // explicit tag without '/'
    }
  }
  return by_name;
}

// Where the manifest names a type by its Python tag (and class name), the canonical tag.
std::string ManifestTypes::canonical_for(const std::string& python_tag,
                                         const std::string& class_name) const {
  if (python_tag.empty()) {
    auto it = aliases_.find(class_name);
    if (it != aliases_.end() && it->second.size() == 1) return *it->second.begin();
    return class_name;
  }
  if (auto it = by_python_tag_.find(python_tag); it != by_python_tag_.end()) return it->second;
  if (python_tag.find('/') != std::string::npos) return python_tag;
  if (auto it = by_graph_name_.find(python_tag); it != by_graph_name_.end()) return it->second;
  // No TypeDef to compare with: a tag "module.Name" ending in the class name is 0.1.2's default
  // (namespace = module). A `@wire_type("a.Name")` without '/' looks the same; the collection's
  // type blobs, when given, settle it (docs/compatibility.md).
  if (!class_name.empty() && python_tag.size() > class_name.size() + 1 &&
      ends_with(python_tag, "." + class_name)) {
    return python_tag.substr(0, python_tag.size() - class_name.size() - 1) + "/" + class_name;
  }
  return python_tag;
}

void ManifestTypes::index() {
  struct Schema {
    std::string tag, class_name;
    const std::vector<FieldSchema>* fields;
  };
  std::vector<Schema> schemas;
  struct Ref {
    std::string tag, class_name;
  };
  std::vector<Ref> refs;
  for (const auto& m : manifests_) {
    for (const auto& md : m.methods) {
      if (!md.request_wire_tag.empty())
        schemas.push_back({md.request_wire_tag, md.request_type, &md.fields});
      if (!md.response_wire_tag.empty())
        schemas.push_back({md.response_wire_tag, md.response_type, &md.response_fields});
      for (const auto* fields : {&md.fields, &md.response_fields}) {
        for (const auto& f : *fields) {
          if (f.kind == "enum" && f.ref_name && f.enum_values)
            enum_values_.emplace(*f.ref_name, &*f.enum_values);
          if (f.kind == "ref" && (f.wire_tag || f.ref_name))
            refs.push_back({f.wire_tag.value_or(""), f.ref_name.value_or("")});
          if (f.item_kind == "ref" && (f.item_wire_tag || f.item_ref))
            refs.push_back({f.item_wire_tag.value_or(""), f.item_ref.value_or("")});
        }
      }
    }
  }

  // The Python tags the manifest gives for TypeDefs: request/response types, and the structs
  // their fields refer to (paired through the TypeDef's REF hash).
  std::map<std::string, const TypeDef*> def_by_hash;
  for (const auto& b : blobs_) def_by_hash.emplace(to_hex(b.hash), &b.type_def);
  std::map<const TypeDef*, std::string> tag_of_def;
  for (const auto& s : schemas) {
    const TypeDef* td = match_type_def(s.tag);
    if (!td) continue;
    tag_of_def.emplace(td, s.tag);
    for (const auto& f : *s.fields) {
      std::optional<std::string> tag = f.kind == "ref"    ? f.wire_tag
                                       : f.kind == "list" ? f.item_wire_tag
                                                          : std::nullopt;
      if (!tag || tag->empty()) continue;
      for (const auto& fd : td->fields) {
        if (fd.name != f.name || fd.type_kind != TypeKind::kRef) continue;
        auto sub = def_by_hash.find(to_hex(fd.type_ref));
        if (sub != def_by_hash.end()) tag_of_def.emplace(sub->second, *tag);
      }
    }
  }

  for (const auto& b : blobs_) {
    const TypeDef& td = b.type_def;
    auto known = tag_of_def.find(&td);
    std::string python_tag = known == tag_of_def.end() ? "" : known->second;
    std::string canonical = wire_name_of(td, python_tag).tag();
    Entry& entry = entries_[canonical];
    if (!entry.type_def) entry.type_def = &td;
    by_hash_.emplace(to_hex(b.hash), canonical);
    by_graph_name_.emplace(td.package + "." + td.name, canonical);
    if (!python_tag.empty()) by_python_tag_.emplace(python_tag, canonical);
    add_alias(canonical, canonical);
    add_alias(python_tag, canonical);
    add_alias(td.package + "." + td.name, canonical);
    add_alias(td.name, canonical);
    add_alias(short_name(td.name), canonical);
  }
  // The shell's rule (0.1.2 aster_cli/shell): the first schema for a type wins.
  for (const auto& s : schemas) {
    std::string canonical = canonical_for(s.tag, s.class_name);
    if (!entries_[canonical].fields) entries_[canonical].fields = s.fields;
    by_python_tag_.emplace(s.tag, canonical);
    add_alias(canonical, canonical);
    add_alias(s.tag, canonical);
    add_alias(s.class_name, canonical);
  }
  for (const auto& r : refs) {
    if (r.tag.empty()) continue;
    std::string canonical = canonical_for(r.tag, r.class_name);
    by_python_tag_.emplace(r.tag, canonical);
    add_alias(r.tag, canonical);
    add_alias(r.class_name, canonical);
  }
}

Result<std::string> ManifestTypes::resolve_name(const std::string& name) const {
  if (entries_.count(name)) return name;
  auto it = aliases_.find(name);
  if (it == aliases_.end() || it->second.empty()) {
    std::string known;
    size_t n = 0;
    for (const auto& [tag, entry] : entries_) {
      if (!entry.fields && !entry.type_def) continue;
      if (n++ == 12) {
        known += ", ...";
        break;
      }
      known += (known.empty() ? "" : ", ") + tag;
    }
    return Status(StatusCode::kNotFound,
                  "unknown type '" + name + "'" + (known.empty() ? "" : " (known: " + known + ")"));
  }
  if (it->second.size() > 1) {
    std::string tags;
    for (const auto& t : it->second) tags += (tags.empty() ? "" : ", ") + t;
    return Status(StatusCode::kInvalidArgument,
                  "type name '" + name + "' is ambiguous (" + tags + "); give its wire tag");
  }
  return *it->second.begin();
}

std::vector<std::string> ManifestTypes::type_tags() const {
  std::vector<std::string> tags;
  for (const auto& [tag, entry] : entries_)
    if (entry.fields || entry.type_def) tags.push_back(tag);
  return tags;
}

std::optional<std::string> ManifestTypes::tag_of_type_hash(std::string_view hex) const {
  auto it = by_hash_.find(std::string(hex));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

Result<TypeRef> ManifestTypes::find_type(std::string_view name) {
  ASTER_ASSIGN_OR_RETURN(std::string canonical, resolve_name(std::string(name)));
  ASTER_ASSIGN_OR_RETURN(const codec::StructDesc* desc, define(canonical, canonical));
  return TypeDesc::struct_ref(*desc);
}

Result<Value> ManifestTypes::from_json(std::string_view name, std::string_view json) {
  ASTER_ASSIGN_OR_RETURN(TypeRef type, find_type(name));
  return codec::json_decode_value(json, *type);
}

Result<std::string> ManifestTypes::to_json(std::string_view name, const Value& value) {
  ASTER_ASSIGN_OR_RETURN(TypeRef type, find_type(name));
  return codec::json_encode_value(value, type.get());
}

Result<std::vector<uint8_t>> ManifestTypes::encode(std::string_view name, const Value& value) {
  ASTER_ASSIGN_OR_RETURN(TypeRef type, find_type(name));
  return codec::fory_encode_value(value, *type);
}

Result<Value> ManifestTypes::decode(std::string_view name, std::span<const uint8_t> fory_bytes) {
  ASTER_ASSIGN_OR_RETURN(TypeRef type, find_type(name));
  return codec::fory_decode_value(fory_bytes, *type);
}

const ContractManifest* ManifestTypes::find_manifest(std::string_view service,
                                                     int32_t version) const {
  for (const auto& m : manifests_) {
    if (m.service == service && m.version == version) return &m;
  }
  return nullptr;
}

// A reply annotated with a Python builtin (`-> int`, `-> list[Point]`): 0.1.2's
// manifest names the builtin and gives no wire tag (aster-rpc@0972ac9:bindings/python/aster/
// contract/manifest.py). pyfory writes a root value with its type id, so a container reads as
// kAny (its items carry their own type info); a scalar is the scalar pyfory writes for it.
TypeRef python_builtin_type(std::string_view name) {
  if (name == "int") return TypeDesc::scalar(CKind::kInt64);
  if (name == "float") return TypeDesc::scalar(CKind::kFloat64);
  if (name == "str") return TypeDesc::scalar(CKind::kString);
  if (name == "bool") return TypeDesc::scalar(CKind::kBool);
  if (name == "bytes") return TypeDesc::scalar(CKind::kBytes);
  if (name == "list" || name == "dict" || name == "set" || name == "tuple") {
    return TypeDesc::scalar(CKind::kAny);
  }
  return nullptr;
}

Result<MethodDesc> ManifestTypes::method_desc(const ContractManifest& manifest,
                                              std::string_view method) {
  const MethodDescriptor* m = manifest.find_method(method);
  const std::string where = manifest.service + " v" + std::to_string(manifest.version);
  if (m == nullptr) {
    return Status(StatusCode::kNotFound, where + " has no method " + std::string(method));
  }
  auto pattern = parse_method_pattern(m->pattern);
  if (!pattern) {
    return Status(StatusCode::kInvalidArgument,
                  where + "." + m->name + ": unknown pattern " + m->pattern);
  }
  // The wire tag names one type; the class name may be shared by two (find_type refuses it).
  auto type_of = [&](const std::string& tag, const std::string& class_name,
                     const char* role) -> Result<TypeRef> {
    const std::string& name = tag.empty() ? class_name : tag;
    if (TypeRef builtin = tag.empty() ? python_builtin_type(class_name) : nullptr) {
      // A builtin request stays undescribed: the method goes in JSON mode, the JSON value the
      // user gives being the request, as 0.1.2 sends it (`aster call`, the shell).
      if (std::string_view(role) == "request") {
        return Status(StatusCode::kNotFound, where + "." + m->name + " request type " +
                                                 class_name +
                                                 ": a Python builtin, sent as the JSON value given");
      }
      // Items of a kAny container name their struct by wire tag: every type either source
      // describes goes into the registry the reply is read with (a type that cannot be
      // defined stays out; reading it then fails naming it).
      if (builtin->kind == CKind::kAny) {
        for (const auto& t : type_tags()) (void)find_type(t);
      }
      return builtin;
    }
    auto type = find_type(name);
    if (!type.is_ok()) {
      return Status(type.status().code(), where + "." + m->name + " " + role + " type " + name +
                                              ": " + type.status().message());
    }
    return type;
  };
  ASTER_ASSIGN_OR_RETURN(TypeRef request, type_of(m->request_wire_tag, m->request_type, "request"));
  ASTER_ASSIGN_OR_RETURN(TypeRef response,
                         type_of(m->response_wire_tag, m->response_type, "response"));
  MethodDesc desc =
      contract::method_desc(m->name, *pattern, std::move(request), std::move(response));
  desc.is_idempotent = m->idempotent;
  if (m->timeout && *m->timeout > 0) desc.timeout_seconds = *m->timeout;
  return desc;
}

namespace {

std::string ascii_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// An enum field's default as one of its values. 0.1.2 writes a default that is not a JSON
// scalar as Python's str(): `Mood.CALM` for a plain Enum (an IntEnum or a str-mixin member is
// its value; aster-rpc@0972ac9:bindings/python/aster/contract/manifest.py `build_field_v1`,
// `_is_json_safe`), and our producer writes every enum default that way (contract.cpp). The
// manifest lists the values but not the member names, so `CALM` is matched to a string value
// spelled the same up to case ("calm"), the usual shape of such enums. Anything else is left
// out: the field then takes its zero value, the first member, which is the default of a C++
// enum that declares none and of most Python ones; sent as written, "Mood.CALM" was refused as
// "not a member of enum Mood" though the caller never typed it.
std::optional<nlohmann::json> enum_default(const FieldSchema& f, const nlohmann::json& d) {
  if (!d.is_number() && !d.is_string()) return std::nullopt;
  if (!f.enum_values || !f.enum_values->is_array()) return d;  // the codec says what it lacks
  for (const auto& v : *f.enum_values)
    if (v == d) return d;
  if (!d.is_string()) return std::nullopt;
  const std::string& text = d.get_ref<const std::string&>();
  const auto dot = text.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::string member = ascii_lower(text.substr(dot + 1));
  std::optional<nlohmann::json> found;
  for (const auto& v : *f.enum_values) {
    if (!v.is_string() || ascii_lower(v.get<std::string>()) != member) continue;
    if (found) return std::nullopt;  // "calm" and "CALM": which one is not ours to guess
    found = v;
  }
  return found;
}

// The JSON a missing field takes, when the manifest states one we can use (see
// request_from_json); nullopt: leave the type's zero value.
std::optional<nlohmann::json> manifest_default(const FieldSchema& f) {
  if (f.default_kind == "empty_list") return nlohmann::json::array();
  if (f.default_kind == "empty_map") return nlohmann::json::object();
  if (f.default_kind != "value") return std::nullopt;  // none (required), factory
  const nlohmann::json& d = f.default_value;
  if (d.is_null()) return f.nullable ? std::optional<nlohmann::json>(d) : std::nullopt;
  const std::string& k = f.kind;
  if (k == "enum") return enum_default(f, d);
  const bool fits = (k == "string" && d.is_string()) ||
                    (k == "int" && (d.is_number_integer() || d.is_number_unsigned())) ||
                    (k == "float" && d.is_number()) || (k == "bool" && d.is_boolean()) ||
                    (k == "list" && d.is_array()) || (k == "map" && d.is_object());
  if (fits) return d;
  if (k == "bytes" && d == "b''") return nlohmann::json("");  // str(b"") → empty base64
  return std::nullopt;
}

}  // namespace

Result<Value> ManifestTypes::request_from_json(const ContractManifest& manifest,
                                               std::string_view method, std::string_view json) {
  ASTER_ASSIGN_OR_RETURN(MethodDesc desc, method_desc(manifest, method));
  const MethodDescriptor& m = *manifest.find_method(method);
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(json);
  } catch (const nlohmann::json::exception&) {
    return codec::json_decode_value(json, *desc.request);  // its error names the offset
  }
  if (!doc.is_object()) return codec::json_decode_value(json, *desc.request);
  // The defaults are spliced into the caller's text, which the codec then reads as strictly
  // as any (repeated keys, number ranges): nlohmann's re-dump would hide both.
  std::string added;
  for (const FieldSchema& f : m.fields) {
    if (doc.contains(f.name)) continue;
    auto d = manifest_default(f);
    if (!d) continue;
    added += (added.empty() && doc.empty() ? "" : ",") + nlohmann::json(f.name).dump() + ":" +
             d->dump();
  }
  if (added.empty()) return codec::json_decode_value(json, *desc.request);
  const auto close = json.find_last_of('}');  // the object's end: only whitespace follows
  std::string text(json.substr(0, close));
  text += added;
  text += json.substr(close);
  return codec::json_decode_value(text, *desc.request);
}

namespace {

bool is_scalar_kind(const std::optional<std::string>& kind) {
  return kind && scalar_for_kind(*kind).is_ok();
}

// A field whose contract TypeDef says ANY where its manifest schema gives a plain scalar kind
// was a type 0.1.2 could not classify: a `str`, `int`, ... is PRIMITIVE in the TypeDef
// (aster-rpc@0972ac9:bindings/python/aster/contract/identity.py `_resolve_field_type`), and
// the manifest says "string" for anything it does not know (contract/manifest.py
// `_classify_type`, its fallback): datetime, date, Decimal, Any, a Union, set[...] of those.
// Its Fory type id is published nowhere, and sent as a string the producer refuses the whole
// message ("Hash … is not consistent with …"). An Optional element (list[Optional[str]]) is
// ANY too, but the manifest marks it nullable.
Status unpublished_wire_type(const FieldDef& fd, const FieldSchema& schema,
                             const std::string& where) {
  const auto refuse = [&] {
    return missing(where, "0.1.2 publishes this field's type neither in the contract (ANY) nor "
                          "in the manifest (which says '" + schema.kind +
                              "' for any type it cannot classify: datetime, date, Decimal, "
                              "Any, a Union)");
  };
  if (fd.container_key_kind == TypeKind::kAny && fd.container == ContainerKind::kMap &&
      is_scalar_kind(schema.key_kind) && schema.kind == "map") {
    return refuse();  // dict[datetime, …]
  }
  if (fd.type_kind != TypeKind::kAny) return Status::ok();
  if (is_scalar_kind(schema.kind)) return refuse();  // datetime, Optional[date], set[date], …
  if (schema.kind == "list" && is_scalar_kind(schema.item_kind) &&
      !schema.item_nullable.value_or(false)) {
    return refuse();  // list[datetime]
  }
  if (schema.kind == "map" && is_scalar_kind(schema.value_kind) &&
      !schema.value_nullable.value_or(false)) {
    return refuse();  // dict[str, datetime]
  }
  return Status::ok();
}

}  // namespace

Result<ServiceDesc> ManifestTypes::service_desc(std::string_view service, int32_t version) {
  const ContractManifest* manifest = find_manifest(service, version);
  if (manifest == nullptr) {
    return Status(StatusCode::kNotFound, "no manifest for " + std::string(service) + " v" +
                                             std::to_string(version));
  }
  ServiceDesc desc(manifest->service);
  desc.version(manifest->version);
  desc.scope(manifest->scoped == "session" ? ScopeKind::kSession : ScopeKind::kShared);
  desc.serialization_modes(manifest->serialization_modes);
  for (const auto& m : manifest->methods) {
    ASTER_ASSIGN_OR_RETURN(MethodDesc method, method_desc(*manifest, m.name));
    desc.method(std::move(method));
  }
  return desc;
}

Result<const codec::StructDesc*> ManifestTypes::define(const std::string& canonical,
                                                       const std::string& needed_by) {
  auto entry = entries_.find(canonical);
  if (entry == entries_.end() || (!entry->second.type_def && !entry->second.fields)) {
    return missing(needed_by,
                   "no description of type '" + canonical + "': the manifest describes only " +
                       "request and response types; nested ones are in the contract's type " +
                       "blobs (types/<hash>.bin)" +
                       (blobs_.empty() ? ", and none were given" : ", and none of them is it"));
  }
  codec::StructDesc& desc = registry_->declare_struct(canonical);
  if (!defined_.insert(canonical).second) return &desc;  // done, or in progress (recursive)
  std::vector<codec::FieldDesc> fields;
  Status st = define_fields(canonical, entry->second, fields);
  if (!st.is_ok()) {
    // Forget the half-built definition: a later lookup must fail the same way, not see a
    // struct without fields. (Types it reached stay defined; they are complete.)
    defined_.erase(canonical);
    return st;
  }
  desc.set_fields(std::move(fields));
  desc.finalize();
  return &desc;
}

Status ManifestTypes::define_fields(const std::string& canonical, const Entry& entry,
                                    std::vector<codec::FieldDesc>& fields) {
  if (!entry.type_def) {
    for (const auto& f : *entry.fields) {
      ASTER_ASSIGN_OR_RETURN(TypeRef t, from_schema(f, canonical + "." + f.name));
      fields.push_back({f.name, t});
    }
    return Status::ok();
  }
  for (const auto& fd : entry.type_def->fields) {
    std::string where = canonical + "." + fd.name;
    bool exact = fd.type_kind != TypeKind::kAny &&
                 !(fd.container == ContainerKind::kMap && fd.container_key_kind == TypeKind::kAny);
    if (exact) {
      ASTER_ASSIGN_OR_RETURN(TypeRef t, from_type_def(fd, where));
      fields.push_back({fd.name, t});
      continue;
    }
    const FieldSchema* schema = nullptr;
    if (entry.fields) {
      for (const auto& f : *entry.fields)
        if (f.name == fd.name) schema = &f;
    }
    if (!schema) {
      return missing(where,
                     "the contract describes this field only as ANY (an enum, an Optional "
                     "element or a nested container), and the manifest has no schema for '" +
                         canonical + "' (it describes only request and response types)");
    }
    // A bare `list` / `dict` annotation: 0.1.2's manifest reports it as list[str] /
    // dict[str, str] (aster-rpc@0972ac9:bindings/python/aster/contract/manifest.py
    // `_classify_type`), but its TypeDef is ANY with no container, and pyfory hashes and writes
    // it as an untyped value (as our aster::Value members). A typed list or map has a container
    // in its TypeDef, so ANY without one and a list/map schema can only be the bare form
    // (src/contract/contract.cpp is_bare_container).
    if (fd.container == ContainerKind::kNone && (schema->kind == "list" || schema->kind == "map")) {
      const TypeRef any = TypeDesc::scalar(CKind::kAny);
      fields.push_back({fd.name, fd.optional ? TypeDesc::optional_of(any) : any});
      continue;
    }
    if (Status unknown = unpublished_wire_type(fd, *schema, where); !unknown.is_ok()) {
      return unknown;
    }
    ASTER_ASSIGN_OR_RETURN(TypeRef t, from_schema(*schema, where));
    fields.push_back({fd.name, t});
  }
  return Status::ok();
}

Result<TypeRef> ManifestTypes::enum_type(const std::string& ref_name, const std::string& where) {
  if (const codec::EnumDesc* e = registry_->find_enum(ref_name)) return TypeDesc::enum_ref(*e);
  auto it = enum_values_.find(ref_name);
  if (it == enum_values_.end()) {
    return missing(where, "the members of enum '" + ref_name +
                              "' are not in the manifest (it lists them only where a request "
                              "or response field has the enum itself as its type)");
  }
  std::vector<std::string> members, json_values;
  for (const auto& v : *it->second) {
    members.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    json_values.push_back(v.dump(-1, ' ', /*ensure_ascii=*/true));
  }
  return TypeDesc::enum_ref(
      registry_->add_enum(ref_name, std::move(members), std::move(json_values)));
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
    if ((!wire_tag || wire_tag->empty()) && !ref)
      return missing(where, "ref without wire_tag or ref_name");
    std::string canonical = canonical_for(wire_tag.value_or(""), ref.value_or(""));
    ASTER_ASSIGN_OR_RETURN(const codec::StructDesc* d, define(canonical, where));
    return TypeDesc::struct_ref(*d);
  }
  return missing(where, "the element type of this nested '" + kind +
                            "' is published neither by the manifest nor by the contract "
                            "(0.1.2 describes one level of container)");
}

Result<TypeRef> ManifestTypes::from_schema(const FieldSchema& f, const std::string& where) {
  TypeRef t;
  if (f.kind == "list") {
    ASTER_ASSIGN_OR_RETURN(
        TypeRef e, from_kind(f.item_kind.value_or("string"), f.item_ref, f.item_wire_tag, where));
    if (f.item_nullable.value_or(false)) e = TypeDesc::optional_of(e);
    t = TypeDesc::list_of(e);
  } else if (f.kind == "map") {
    auto key = scalar_for_kind(f.key_kind.value_or("string"));
    if (!key.is_ok()) {
      return missing(where,
                     "map key kind '" + f.key_kind.value_or("") + "' is not a scalar");
    }
    ASTER_ASSIGN_OR_RETURN(
        TypeRef v, from_kind(f.value_kind.value_or("string"), f.value_ref, std::nullopt, where));
    if (f.value_nullable.value_or(false)) v = TypeDesc::optional_of(v);
    t = TypeDesc::map_of(*key, v);
  } else {
    ASTER_ASSIGN_OR_RETURN(t, from_kind(f.kind, f.ref_name, f.wire_tag, where));
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
      auto it = by_hash_.find(to_hex(ref));
      if (it == by_hash_.end()) {
        return missing(where, "no description of the type with hash " + to_hex(ref) +
                                  " (types/" + to_hex(ref) + ".bin is not among the type blobs)");
      }
      ASTER_ASSIGN_OR_RETURN(const codec::StructDesc* d, define(it->second, where));
      return TypeDesc::struct_ref(*d);
    }
    case TypeKind::kSelfRef: {
      auto it = by_graph_name_.find(self_ref_name);
      if (it == by_graph_name_.end())
        return missing(where, "no description of type '" + self_ref_name + "'");
      ASTER_ASSIGN_OR_RETURN(const codec::StructDesc* d, define(it->second, where));
      return TypeDesc::struct_ref(*d);
    }
    case TypeKind::kAny:
      break;
  }
  return missing(where, "described only as ANY");
}

Result<TypeRef> ManifestTypes::from_type_def(const FieldDef& f, const std::string& where) {
  ASTER_ASSIGN_OR_RETURN(
      TypeRef value,
      from_type_def_base(f.type_kind, f.type_primitive, f.type_ref, f.self_ref_name, where));
  TypeRef t;
  switch (f.container) {
    case ContainerKind::kNone:
      t = value;
      break;
    case ContainerKind::kList:
      t = TypeDesc::list_of(value);
      break;
    case ContainerKind::kSet:
      t = TypeDesc::set_of(value);
      break;
    case ContainerKind::kMap: {
      ASTER_ASSIGN_OR_RETURN(TypeRef key,
                             from_type_def_base(f.container_key_kind, f.container_key_primitive,
                                                f.container_key_ref, "", where + "{key}"));
      t = TypeDesc::map_of(key, value);
      break;
    }
  }
  return f.optional ? TypeDesc::optional_of(t) : t;
}

}  // namespace aster::contract
