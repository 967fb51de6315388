// ServiceDesc → TypeDefs, ServiceContract, contract_id, manifest.json, mirroring the 0.1.2
// Python pipeline (`contract_id_from_service`, `_publish_contracts`, `build_collection`,
// `extract_method_descriptors`). Sheet sections are cited per rule.
#include "aster/contract/contract.hpp"

#include <algorithm>
#include <functional>

#include "aster/codec/declare.hpp"  // FieldAccess::default_value
#include "aster/codec/value.hpp"
#include "aster/contract/identity.hpp"

namespace aster::contract {

using codec::FieldDesc;
using codec::StructDesc;
using codec::TypeDesc;
using CKind = codec::TypeKind;

std::string type_graph_name(const StructDesc& desc) {
  return desc.wire_name().ns + "." + desc.wire_name().name;
}

std::string display_name(const codec::WireName& wire_name) {
  const std::string& n = wire_name.name;
  auto dot = n.rfind('.');
  return dot == std::string::npos ? n : n.substr(dot + 1);
}

namespace {

// The Python annotation a C++ type stands for decides everything below. Only these five have
// a Python builtin of their own (`_PYTHON_TO_XLANG_PRIMITIVE`); every other scalar kind is a
// pyfory TypeVar (pyfory.int32, …) or datetime, which 0.1.2 maps to ANY / manifest "string".
const char* primitive_name(CKind kind) {
  switch (kind) {
    case CKind::kString:
      return "string";
    case CKind::kInt64:
      return "int64";
    case CKind::kFloat64:
      return "float64";
    case CKind::kBool:
      return "bool";
    case CKind::kBytes:
      return "binary";
    default:
      return nullptr;
  }
}

// A kList/kSet with a kAny element is Python's bare `list`/`set`, a kMap of kAny→kAny a bare
// `dict`: no __origin__, so 0.1.2 treats them as plain classes, not containers.
bool is_bare_container(const TypeDesc& t) {
  if (t.kind == CKind::kList || t.kind == CKind::kSet) {
    return t.element && t.element->kind == CKind::kAny;
  }
  if (t.kind == CKind::kMap) {
    return t.key && t.element && t.key->kind == CKind::kAny && t.element->kind == CKind::kAny;
  }
  return false;
}

struct ResolvedFieldType {
  TypeKind kind = TypeKind::kAny;
  std::string primitive;
  std::vector<uint8_t> ref;
  std::string self_ref_name;
};

// `_resolve_field_type`: a primitive, a struct (REF or SELF_REF), or ANY.
ResolvedFieldType resolve_field_type(const TypeDesc* t, const std::set<std::string>& self_refs,
                                     const std::map<std::string, TypeHash>& hashes) {
  ResolvedFieldType r;
  if (t == nullptr) {  // no type argument → None → PRIMITIVE "null" (not reachable from C++)
    r.kind = TypeKind::kPrimitive;
    r.primitive = "null";
    return r;
  }
  if (const char* p = primitive_name(t->kind)) {
    r.kind = TypeKind::kPrimitive;
    r.primitive = p;
    return r;
  }
  if (t->kind == CKind::kStruct && t->struct_type != nullptr) {
    std::string name = type_graph_name(*t->struct_type);
    if (self_refs.count(name)) {
      r.kind = TypeKind::kSelfRef;
      r.self_ref_name = name;
      return r;
    }
    r.kind = TypeKind::kRef;
    auto it = hashes.find(name);
    // 0.1.2 writes 32 zero bytes for a struct not hashed yet; with the spec order every REF
    // target is hashed first, so this only happens for a graph we were not given.
    r.ref.assign(32, 0);
    if (it != hashes.end()) r.ref.assign(it->second.begin(), it->second.end());
    return r;
  }
  return r;  // enum, Optional, nested container, other scalars, untyped: ANY
}

FieldDef field_def_for(const FieldDesc& f, int32_t id, const std::set<std::string>& self_refs,
                       const std::map<std::string, TypeHash>& hashes) {
  FieldDef fd;
  fd.id = id;
  fd.name = f.name;
  const TypeDesc& outer = *f.type;
  fd.optional = outer.kind == CKind::kOptional;
  const TypeDesc& t = fd.optional && outer.element ? *outer.element : outer;
  ResolvedFieldType value;
  if ((t.kind == CKind::kList || t.kind == CKind::kSet) && !is_bare_container(t)) {
    fd.container = t.kind == CKind::kList ? ContainerKind::kList : ContainerKind::kSet;
    value = resolve_field_type(t.element.get(), self_refs, hashes);
  } else if (t.kind == CKind::kMap && !is_bare_container(t)) {
    fd.container = ContainerKind::kMap;
    ResolvedFieldType key = resolve_field_type(t.key.get(), self_refs, hashes);
    fd.container_key_kind = key.kind;
    fd.container_key_primitive = key.primitive;
    fd.container_key_ref = key.ref;
    value = resolve_field_type(t.element.get(), self_refs, hashes);
  } else {
    value = resolve_field_type(&t, self_refs, hashes);
  }
  fd.type_kind = value.kind;
  fd.type_primitive = value.primitive;
  fd.type_ref = value.ref;
  fd.self_ref_name = value.self_ref_name;
  return fd;
}

// Every struct mentioned anywhere in a type (through Optional, containers, nested generics):
// `build_type_graph` and `_collect_refs` descend into all type arguments.
void collect_structs(const TypeDesc* t, const std::function<void(const StructDesc&)>& visit) {
  if (t == nullptr) return;
  if (t->kind == CKind::kStruct) {
    if (t->struct_type) visit(*t->struct_type);
    return;
  }
  collect_structs(t->key.get(), visit);
  collect_structs(t->element.get(), visit);
}

// `_classify_type` of the manifest (aster-rpc@0972ac9:bindings/python/aster/contract/manifest.py).
struct Classified {
  std::string kind;
  bool nullable = false;
  std::optional<std::string> ref_name, wire_tag;
  std::optional<nlohmann::json> enum_values;
  std::optional<std::string> item_kind, item_ref, item_wire_tag, key_kind, value_kind, value_ref;
  std::optional<bool> item_nullable, value_nullable;
};

Classified classify(const TypeDesc& outer) {
  Classified c;
  c.nullable = outer.kind == CKind::kOptional;
  const TypeDesc& t = c.nullable && outer.element ? *outer.element : outer;
  switch (t.kind) {
    case CKind::kString:
      c.kind = "string";
      return c;
    case CKind::kInt64:
      c.kind = "int";
      return c;
    case CKind::kFloat64:
      c.kind = "float";
      return c;
    case CKind::kBool:
      c.kind = "bool";
      return c;
    case CKind::kBytes:
      c.kind = "bytes";
      return c;
    default:
      break;
  }
  if (t.kind == CKind::kMap && is_bare_container(t)) {  // bare dict: map[string, string]
    c.kind = "map";
    c.key_kind = "string";
    c.value_kind = "string";
    c.value_nullable = false;
    return c;
  }
  if (t.kind == CKind::kList && is_bare_container(t)) {  // bare list: list[string]
    c.kind = "list";
    c.item_kind = "string";
    c.item_nullable = false;
    return c;
  }
  if (t.kind == CKind::kEnum && t.enum_type) {
    c.kind = "enum";
    c.ref_name = display_name(t.enum_type->wire_name());
    // `[e.value for e in tp]`: the Python values a declaration gives
    // (ASTER_ENUMERATOR_VALUE), else the ordinals (0, 1, …), the convention documented in
    // docs/contract.md.
    nlohmann::json values = nlohmann::json::array();
    const auto& json_values = t.enum_type->json_values();
    for (size_t i = 0; i < t.enum_type->members().size(); ++i) {
      if (i < json_values.size()) values.push_back(nlohmann::json::parse(json_values[i]));
      else values.push_back(i);
    }
    c.enum_values = values;
    return c;
  }
  if (t.kind == CKind::kList && t.element) {
    Classified e = classify(*t.element);
    c.kind = "list";
    c.item_kind = e.kind;
    c.item_nullable = e.nullable;
    if (e.ref_name && !e.ref_name->empty()) c.item_ref = e.ref_name;
    if (e.wire_tag && !e.wire_tag->empty()) c.item_wire_tag = e.wire_tag;
    return c;
  }
  if (t.kind == CKind::kMap && t.key && t.element) {
    Classified k = classify(*t.key), v = classify(*t.element);
    c.kind = "map";
    c.key_kind = k.kind;
    c.value_kind = v.kind;
    c.value_nullable = v.nullable;
    if (v.ref_name && !v.ref_name->empty()) c.value_ref = v.ref_name;
    return c;
  }
  if (t.kind == CKind::kStruct && t.struct_type) {
    c.kind = "ref";
    c.ref_name = display_name(t.struct_type->wire_name());
    c.wire_tag = t.struct_type->tag();
    return c;
  }
  c.kind = "string";  // sets, other scalars, untyped: 0.1.2's fallback
  return c;
}

// A C++ member initializer stands for the Python dataclass default (`status: str = "idle"`),
// which 0.1.2 reports in manifest.json (aster-rpc@0972ac9:bindings/python/aster/contract/
// manifest.py `_field_default`). An aster::Value member initialized to an empty list or dict
// stands for a bare `list` / `dict` annotation, which 0.1.2 reports as list[str] / dict[str,str]
// (the contract TypeDef is ANY either way).
void apply_declared_default(const TypeDesc& t, const aster::Value& v, FieldSchema& s,
                            Classified& c) {
  using VK = aster::Value::Kind;
  switch (t.kind) {
    case CKind::kString:
      if (v.kind() == VK::kString) s.default_value = v.as_string();
      break;
    case CKind::kBool:
      if (v.kind() == VK::kBool) s.default_value = v.as_bool();
      break;
    case CKind::kFloat32:
    case CKind::kFloat64:
      if (v.kind() == VK::kFloat && v.as_float() != 0.0) s.default_value = v.as_float();
      break;
    case CKind::kEnum:
      if (t.enum_type && v.kind() == VK::kString) {
        s.default_value = display_name(t.enum_type->wire_name()) + "." + v.as_string();
      }
      break;
    case CKind::kAny:
      if (v.kind() == VK::kList) {
        c.kind = "list";
        c.item_kind = "string";
        c.item_nullable = false;
        s.default_kind = "empty_list";
      } else if (v.kind() == VK::kMap) {
        c.kind = "map";
        c.key_kind = "string";
        c.value_kind = "string";
        c.value_nullable = false;
        s.default_kind = "empty_map";
      }
      s.kind = c.kind;
      break;
    default:  // the integer kinds
      if (v.kind() == VK::kInt) s.default_value = v.as_int();
      if (v.kind() == VK::kUint) s.default_value = v.as_uint();
      break;
  }
}

}  // namespace

FieldSchema field_schema_for(const FieldDesc& f) {
  Classified c = classify(*f.type);
  FieldSchema s;
  s.name = f.name;
  s.kind = c.kind;
  s.nullable = c.nullable;
  // C++ fields always have a default (the value-initialized member, as 0.1.2 requires of
  // every @wire_type field), so `required` is false and the default is the Python zero value
  // the twin declares: "" / 0 / 0.0 / False / b"" / None / field(default_factory=…).
  s.required = false;
  s.default_kind = "value";
  const TypeDesc& t = *f.type;
  switch (t.kind) {
    case CKind::kOptional:
    case CKind::kAny:
      s.default_value = nullptr;
      break;
    case CKind::kString:
      s.default_value = "";
      break;
    case CKind::kBool:
      s.default_value = false;
      break;
    case CKind::kFloat32:
    case CKind::kFloat64:
      s.default_value = 0.0;
      break;
    case CKind::kBytes:
      s.default_value = "b''";
      break;  // str(b"") — bytes is not JSON-safe
    case CKind::kList:
      s.default_kind = "empty_list";
      break;  // field(default_factory=list)
    case CKind::kMap:
      s.default_kind = "empty_map";
      break;              // field(default_factory=dict)
    case CKind::kSet:     // field(default_factory=set)
    case CKind::kStruct:  // field(default_factory=Cls)
    case CKind::kDate:
    case CKind::kTimestamp:
      s.default_kind = "factory";
      break;
    case CKind::kEnum:  // str(Enum.FIRST) == "Enum.FIRST"
      if (t.enum_type && !t.enum_type->members().empty()) {
        s.default_value = display_name(t.enum_type->wire_name()) + "." + t.enum_type->members()[0];
      }
      break;
    default:
      s.default_value = 0;
      break;  // the integer kinds
  }
  if (f.access != nullptr && f.access->default_value != nullptr) {
    apply_declared_default(t, f.access->default_value(), s, c);
  }
  s.ref_name = c.ref_name;
  s.wire_tag = c.wire_tag;
  s.enum_values = c.enum_values;
  s.item_kind = c.item_kind;
  s.item_ref = c.item_ref;
  s.item_wire_tag = c.item_wire_tag;
  s.item_nullable = c.item_nullable;
  s.key_kind = c.key_kind;
  s.value_kind = c.value_kind;
  s.value_ref = c.value_ref;
  s.value_nullable = c.value_nullable;
  return s;
}

Result<TypeDef> type_def_for(const StructDesc& desc, const std::set<std::string>& self_refs,
                             const std::map<std::string, TypeHash>& hashes) {
  TypeDef td;
  td.kind = TypeDefKind::kMessage;  // 0.1.2 never emits ENUM or UNION (identity.py)
  td.package = desc.wire_name().ns;
  td.name = desc.wire_name().name;
  int32_t id = 0;
  for (const auto& f : desc.fields()) {
    if (!f.type) {
      return Status(StatusCode::kInvalidArgument,
                    "type '" + desc.tag() + "' field '" + f.name + "' has no type");
    }
    td.fields.push_back(field_def_for(f, ++id, self_refs, hashes));
  }
  return td;
}

namespace {

std::vector<FieldSchema> field_schemas(const TypeDesc* root) {
  std::vector<FieldSchema> out;
  if (root && root->kind == CKind::kStruct && root->struct_type) {
    for (const auto& f : root->struct_type->fields()) out.push_back(field_schema_for(f));
  }
  return out;
}

std::string root_display_name(const TypeDesc* t) {
  if (!t) return "";
  if (t->kind == CKind::kStruct && t->struct_type) return display_name(t->struct_type->wire_name());
  switch (t->kind) {  // a bare builtin: its Python __name__
    case CKind::kString:
      return "str";
    case CKind::kInt64:
      return "int";
    case CKind::kFloat64:
      return "float";
    case CKind::kBool:
      return "bool";
    case CKind::kBytes:
      return "bytes";
    default:
      return "";
  }
}

std::string root_wire_tag(const TypeDesc* t) {
  return t && t->kind == CKind::kStruct && t->struct_type ? t->struct_type->tag() : "";
}

std::vector<uint8_t> method_type_hash(const TypeDesc* t,
                                      const std::map<std::string, TypeHash>& hashes) {
  // `_resolve_type_hash`: a struct → its hash; a builtin → BLAKE3 of its primitive name;
  // anything else → 32 zero bytes.
  if (t && t->kind == CKind::kStruct && t->struct_type) {
    auto it = hashes.find(type_graph_name(*t->struct_type));
    if (it != hashes.end()) return {it->second.begin(), it->second.end()};
  } else if (t) {
    if (const char* p = primitive_name(t->kind)) {
      TypeHash h = primitive_stand_in_hash(p);
      return {h.begin(), h.end()};
    }
  }
  return std::vector<uint8_t>(32, 0);
}

}  // namespace

Result<ContractArtifacts> build_contract_artifacts(const ServiceDesc& service) {
  if (service.name().empty()) return Status(StatusCode::kInvalidArgument, "service has no name");
  // 1. The type graph of every struct reachable from the methods' types.
  std::map<std::string, const StructDesc*> structs;
  std::vector<const StructDesc*> pending;
  Status conflict;
  std::function<void(const StructDesc&)> visit = [&](const StructDesc& d) {
    auto [it, inserted] = structs.emplace(type_graph_name(d), &d);
    if (inserted) {
      pending.push_back(&d);
    } else if (it->second != &d && conflict.is_ok()) {
      // Two different descriptions under one wire name would share one graph node and hash.
      conflict = Status(StatusCode::kInvalidArgument,
                        "two different types are declared with wire tag '" + d.tag() + "'");
    }
  };
  std::set<std::string> method_names;
  for (const auto& m : service.methods()) {
    if (m.name.empty()) return Status(StatusCode::kInvalidArgument, "a method has no name");
    if (!method_names.insert(m.name).second) {
      return Status(StatusCode::kInvalidArgument,
                    "service '" + service.name() + "' declares method '" + m.name + "' twice");
    }
    if (!m.request || !m.response) {
      return Status(StatusCode::kInvalidArgument,
                    "method '" + m.name + "' lacks a request or response type");
    }
    collect_structs(m.request.get(), visit);
    collect_structs(m.response.get(), visit);
  }
  TypeGraph graph;
  while (!pending.empty()) {
    const StructDesc* d = pending.back();
    pending.pop_back();
    std::vector<std::string> refs;
    for (const auto& f : d->fields()) {
      collect_structs(f.type.get(), [&](const StructDesc& r) {
        refs.push_back(type_graph_name(r));
        visit(r);
      });
    }
    graph.add_type(type_graph_name(*d), std::move(refs));
  }
  ASTER_RETURN_IF_ERROR(conflict);

  // 2. TypeDefs and hashes, leaves first.
  ContractArtifacts out;
  auto resolved = graph.resolve([&](const std::string& name, const std::set<std::string>& self_refs,
                                    const std::map<std::string, TypeHash>& hashes) {
    return type_def_for(*structs.at(name), self_refs, hashes);
  });
  ASTER_RETURN_IF_ERROR(resolved);
  out.types = std::move(resolved).value();
  std::map<std::string, TypeHash> hashes;
  for (const auto& t : out.types) hashes[t.name] = t.hash;

  // 3. ServiceContract (`ServiceContract.from_service_info`).
  ServiceContract& sc = out.contract;
  sc.name = service.name();
  sc.version = service.version();
  sc.scoped = service.scope();
  sc.serialization_modes = service.serialization_modes();
  if (sc.serialization_modes.empty()) sc.serialization_modes = {"xlang"};
  for (const auto& m : service.methods()) {
    MethodDef md;
    md.name = m.name;
    md.pattern = m.pattern;
    md.request_type = method_type_hash(m.request.get(), hashes);
    md.response_type = method_type_hash(m.response.get(), hashes);
    md.idempotent = m.is_idempotent;
    md.default_timeout = m.timeout_seconds.value_or(0.0);
    sc.methods.push_back(std::move(md));  // requires: never in 0.1.2's contract (docs/contract.md)
  }
  out.contract_bytes = canonical_bytes(sc);
  out.contract_id = to_hex(blake3(out.contract_bytes));

  // 4. manifest.json (`build_collection` + `extract_method_descriptors`).
  ContractManifest& mf = out.manifest;
  mf.service = sc.name;
  mf.version = sc.version;
  mf.contract_id = out.contract_id;
  mf.type_count = static_cast<int64_t>(out.types.size());
  for (const auto& t : out.types) mf.type_hashes.push_back(to_hex(t.hash));
  std::sort(mf.type_hashes.begin(), mf.type_hashes.end());
  mf.method_count = static_cast<int64_t>(sc.methods.size());
  for (const auto& m : service.methods()) {
    MethodDescriptor d;
    d.name = m.name;
    d.pattern = std::string(method_pattern_name(m.pattern));
    d.request_type = root_display_name(m.request.get());
    d.response_type = root_display_name(m.response.get());
    d.request_wire_tag = root_wire_tag(m.request.get());
    d.response_wire_tag = root_wire_tag(m.response.get());
    d.timeout = m.timeout_seconds;
    d.idempotent = m.is_idempotent;
    d.fields = field_schemas(m.request.get());
    d.response_fields = field_schemas(m.response.get());
    mf.methods.push_back(std::move(d));
  }
  std::stable_sort(
      mf.methods.begin(), mf.methods.end(),
      [](const MethodDescriptor& a, const MethodDescriptor& b) { return a.name < b.name; });
  mf.serialization_modes = sc.serialization_modes;
  mf.scoped = std::string(scope_kind_name(sc.scoped));
  out.manifest_json = write_manifest_json(mf);
  return out;
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> ContractArtifacts::collection_entries()
    const {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> entries;
  entries.emplace_back("contract.bin", contract_bytes);
  for (const auto& t : types) {
    entries.emplace_back("types/" + to_hex(t.hash) + ".bin", canonical_bytes(t.type_def));
  }
  entries.emplace_back("manifest.json",
                       std::vector<uint8_t>(manifest_json.begin(), manifest_json.end()));
  return entries;
}

Status verify_committed_manifest(std::string_view manifest_json,
                                 std::span<const ContractArtifacts> served) {
  auto committed = parse_manifest_file(manifest_json);
  ASTER_RETURN_IF_ERROR(committed);
  for (const auto& a : served) {
    for (const auto& m : *committed) {
      if (m.service != a.contract.name || m.version != a.contract.version) continue;
      if (m.contract_id != a.contract_id) {
        return Status(StatusCode::kFailedPrecondition,
                      "contract identity mismatch for '" + m.service + "' v" +
                          std::to_string(m.version) + ": manifest has " + m.contract_id +
                          ", the service computes " + a.contract_id +
                          " — the interface changed; regenerate and commit the manifest");
      }
    }
  }
  return Status::ok();
}

}  // namespace aster::contract
