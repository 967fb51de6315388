// The message types of a service as codec type descriptions, built from what a 0.1.2 producer
// publishes — its manifest.json and, when available, the canonical TypeDefs of its collection
// (types/<hash>.bin) — so the shell, the raw transport and `aster fory` can read and write
// `aster::Value` payloads (Fory XLANG and JSON) without C++ types.
//
//   ASTER_ASSIGN_OR_RETURN(auto coll, aster::contract::read_collection("coll/"));
//   aster::contract::ManifestTypes types(coll);
//   ASTER_ASSIGN_OR_RETURN(aster::Value v, types.from_json("Entry", R"({"memo":"hi"})"));
//   ASTER_ASSIGN_OR_RETURN(auto bytes, types.encode("Entry", v));   // pyfory's bytes
//   ASTER_ASSIGN_OR_RETURN(aster::Value back, types.decode("Entry", bytes));
//   ASTER_ASSIGN_OR_RETURN(std::string json, types.to_json("Entry", back));
//
// One type per wire identity (namespace, name) — what pyfory registers and writes — however
// each source spells it (docs/compatibility.md, "How type names are merged"):
//  - a TypeDef names it by package + name;
//  - the manifest by the Python tag `__wire_type__`: an explicit `@wire_type("ns/Name")`, or,
//    for a plain dataclass, the default `module.Name` (aster-rpc@0972ac9:
//    bindings/python/aster/codec.py `_auto_apply_wire_type`: namespace = module);
//  - and by the class name (`request_type`, `ref_name`).
// `find_type` accepts any of these spellings, or the canonical tag "ns/Name"; a class name
// resolves when one type has it, and a name two types share is refused with both tags listed.
//
// Field types, in order of authority: the TypeDef where it is exact (primitives, nested structs
// by hash, LIST/SET/MAP); where the TypeDef says ANY (enums, Optional elements, nested
// generics), the manifest's field schema — which exists for request and response types only.
// A 0.1.2 manifest gives enums as their Python member *values* (`enum_values`), never names:
// such an enum's JSON form is the value (Python's json.dumps of an IntEnum), its ordinal (the
// member's position) is what travels.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/codec/type_desc.hpp"
#include "aster/codec/value.hpp"
#include "aster/contract/collection.hpp"
#include "aster/contract/definitions.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/status.hpp"

namespace aster::contract {

// The codec type of a request or reply annotated with a Python builtin, by the name 0.1.2's
// manifest gives it with an empty wire tag ("int", "str", "list", …); nullptr for other names.
codec::TypeRef python_builtin_type(std::string_view name);

class ManifestTypes {
 public:
  explicit ManifestTypes(std::vector<ContractManifest> manifests,
                         std::vector<TypeBlob> type_blobs = {});
  explicit ManifestTypes(const Collection& collection);
  ManifestTypes(ManifestTypes&&) noexcept = default;
  ManifestTypes& operator=(ManifestTypes&&) noexcept = default;

  // `name`: class name, Python wire tag, "ns.Name" or "ns/Name". Resolves (and registers) the
  // type and every type it reaches. kNotFound: unknown, or a type it needs is not described;
  // kInvalidArgument: ambiguous name. Messages name the type and the field that needs it.
  Result<codec::TypeRef> find_type(std::string_view name);

  // JSON (docs/codec.md conventions) ↔ Value ↔ Fory XLANG bytes, for the type `name`.
  Result<Value> from_json(std::string_view name, std::string_view json);
  Result<std::string> to_json(std::string_view name, const Value& value);
  Result<std::vector<uint8_t>> encode(std::string_view name, const Value& value);
  Result<Value> decode(std::string_view name, std::span<const uint8_t> fory_bytes);

  // The services themselves, for the raw transport and `aster call` (rpc/raw_transport.hpp
  // `RawTransport::from_manifest`): a method's pattern, timeout, idempotency and its request
  // and response types, found by wire tag (else class name). The TypeRefs point into this
  // object's registry: it must outlive the descriptions.
  //
  //   const ContractManifest* m = types.find_manifest("Catalog", 2);
  //   ASTER_ASSIGN_OR_RETURN(MethodDesc echo, types.method_desc(*m, "echo"));
  //
  // The loaded manifest of (service, version), or nullptr.
  const ContractManifest* find_manifest(std::string_view service, int32_t version) const;
  const std::vector<ContractManifest>& manifests() const { return manifests_; }
  // kNotFound: `manifest` has no such method, or a type the method needs is not described
  // (the message names it); kInvalidArgument: an unknown pattern.
  Result<MethodDesc> method_desc(const ContractManifest& manifest, std::string_view method);
  // Every method of (service, version); fails on the first method that method_desc refuses.
  Result<ServiceDesc> service_desc(std::string_view service, int32_t version);
  // A request of `method` from JSON, the request's missing fields taking the defaults the
  // producer declares (the manifest's default_value / default_kind) instead of the type's zero:
  // a 0.1.2 producer reading JSON fills missing keys from its dataclass defaults, and a Fory
  // request carries every field, so the sender has to. Nested messages have no defaults in a
  // 0.1.2 manifest (TypeDefs carry none): their missing fields get zero values. Defaults the
  // manifest writes only as Python text (`"b'\x01'"`, a datetime) are not used either.
  Result<Value> request_from_json(const ContractManifest& manifest, std::string_view method,
                                  std::string_view json);

  // Canonical tags ("ns/Name") of every struct either source describes, sorted.
  std::vector<std::string> type_tags() const;
  // The canonical tag of the type blob with this hash (64 hex digits); nullopt without blob.
  std::optional<std::string> tag_of_type_hash(std::string_view hex) const;
  bool has_type_blobs() const { return !blobs_.empty(); }
  const codec::TypeRegistry& registry() const { return *registry_; }

 private:
  struct Entry {
    const TypeDef* type_def = nullptr;
    const std::vector<FieldSchema>* fields = nullptr;  // manifest schema (request/response)
  };
  void index();
  const TypeDef* match_type_def(const std::string& python_tag) const;
  std::string canonical_for(const std::string& python_tag, const std::string& class_name) const;
  void add_alias(const std::string& alias, const std::string& canonical);
  Result<std::string> resolve_name(const std::string& name) const;

  Result<const codec::StructDesc*> define(const std::string& canonical,
                                          const std::string& needed_by);
  Status define_fields(const std::string& canonical, const Entry& entry,
                       std::vector<codec::FieldDesc>& fields);
  Result<codec::TypeRef> from_schema(const FieldSchema& f, const std::string& where);
  Result<codec::TypeRef> from_kind(const std::string& kind, const std::optional<std::string>& ref,
                                   const std::optional<std::string>& wire_tag,
                                   const std::string& where);
  Result<codec::TypeRef> from_type_def(const FieldDef& f, const std::string& where);
  Result<codec::TypeRef> from_type_def_base(TypeKind kind, const std::string& primitive,
                                            const std::vector<uint8_t>& ref,
                                            const std::string& self_ref_name,
                                            const std::string& where);
  Result<codec::TypeRef> enum_type(const std::string& ref_name, const std::string& where);

  std::vector<ContractManifest> manifests_;
  std::vector<TypeBlob> blobs_;
  std::map<std::string, Entry> entries_;                  // canonical "ns/Name" → sources
  std::map<std::string, std::set<std::string>> aliases_;  // any spelling → canonical tags
  std::map<std::string, std::string> by_hash_;            // hex hash → canonical
  std::map<std::string, std::string> by_graph_name_;      // "package.Name" → canonical
  std::map<std::string, std::string> by_python_tag_;      // manifest tag → canonical
  std::map<std::string, const nlohmann::json*> enum_values_;  // enum ref_name → values
  std::unique_ptr<codec::TypeRegistry> registry_;
  std::set<std::string> defined_;
};

}  // namespace aster::contract
