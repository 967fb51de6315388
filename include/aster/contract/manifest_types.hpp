// Codec type descriptions for the messages a manifest describes, so the shell, the raw
// transport and `aster fory` can build and read `aster::Value` payloads without C++ types
// (sheet §6.2–6.3). Sources, in order of authority:
//  - the contract's canonical TypeDefs (`types/<hash>.bin`, optional): exact containers, sets
//    and nested structs (by hash), but enums and nested generics appear only as ANY;
//  - the manifest's v1 field schemas of request/response types: enums, nullability, element
//    kinds.
// A field is taken from the TypeDef when it is not ANY, else from the manifest. A type needed
// but described by neither gives an error naming it and the field that needs it.
//
// Enums: a manifest gives only the Python member *values* (`enum_values`), not names; the
// members of such an enum are named by the JSON text of their values ("0", "1", …) in order,
// and ordinals (what travels, fory-xlang.md §6) are their positions.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/codec/type_desc.hpp"
#include "aster/contract/definitions.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/status.hpp"

namespace aster::contract {

class ManifestTypes {
 public:
  ManifestTypes(std::vector<ContractManifest> manifests, std::vector<TypeDef> type_defs);

  // `name` is a class name as `request_type`/`response_type` give it, or a wire tag "ns/Name".
  // Resolves (and registers) the type and every type it reaches.
  Result<codec::TypeRef> find(std::string_view name);

  const codec::TypeRegistry& registry() const { return *registry_; }

 private:
  struct Schema {
    std::string display_name;
    const std::vector<FieldSchema>* fields = nullptr;
  };
  Result<const codec::StructDesc*> define(const std::string& tag, const std::string& needed_by);
  Status define_fields(const std::string& tag, const std::string& needed_by,
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
  Result<std::string> tag_for_name(const std::string& name, const std::string& where) const;

  std::vector<ContractManifest> manifests_;
  std::vector<TypeDef> type_defs_;
  std::map<std::string, Schema> schemas_;                 // wire tag → manifest field schemas
  std::map<std::string, const TypeDef*> by_tag_;          // wire tag → TypeDef
  std::map<std::string, std::string> tag_by_hash_;        // hex hash → wire tag
  std::map<std::string, std::string> tag_by_graph_name_;  // "package.Name" → wire tag
  std::map<std::string, std::set<std::string>> tags_by_name_;  // class name → wire tags
  std::map<std::string, const nlohmann::json*> enum_values_;   // enum ref_name → values
  std::unique_ptr<codec::TypeRegistry> registry_;
  std::set<std::string> defined_;
};

}  // namespace aster::contract
