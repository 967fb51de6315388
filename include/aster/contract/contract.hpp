// From a ServiceDesc to everything 0.1.2 derives from a @service class
// (aster-rpc@0972ac9:bindings/python/aster/contract/identity.py, manifest.py, publication.py):
// TypeDefs and their hashes (type graph: identity.py `build_type_graph`), the ServiceContract and
// contract_id, the type blobs, and manifest.json with field schemas. See docs/contract.md.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aster/codec/type_desc.hpp"
#include "aster/contract/definitions.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/contract/type_graph.hpp"
#include "aster/status.hpp"

namespace aster::contract {

struct ContractArtifacts {
  ServiceContract contract;
  std::vector<uint8_t> contract_bytes;         // contract.bin
  std::string contract_id;                     // lowercase hex BLAKE3 of contract_bytes
  std::vector<TypeGraph::ResolvedType> types;  // hashing order (types/<hash>.bin)
  ContractManifest manifest;
  std::string manifest_json;  // byte-for-byte what 0.1.2's runtime writer produces

  // Collection entries in 0.1.2 order: contract.bin, types/<hex>.bin…, manifest.json
  // (publication.py `build_collection`).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> collection_entries() const;
};

Result<ContractArtifacts> build_contract_artifacts(const ServiceDesc& service);

// 0.1.2's startup check (runtime.py `AsterServer.start`, manifest.py `verify_manifest_or_fatal`):
// given the text of a committed `.aster/manifest.json` (one manifest or an array), every served
// (service, version) it lists must have the listed contract_id. Services it does not list pass.
// FAILED_PRECONDITION names the service, both ids, and says to regenerate the manifest.
Status verify_committed_manifest(std::string_view manifest_json,
                                 std::span<const ContractArtifacts> served);

// The graph key and SELF_REF name of a struct: "<namespace>.<name>" of its wire tag, i.e. the
// TypeDef's package + "." + name.
std::string type_graph_name(const codec::StructDesc& desc);

// TypeDef of one struct as 0.1.2's `_build_type_def` builds it: MESSAGE, package/name from the
// wire tag, FieldDef id = 1-based declaration index, field types as identity.py
// `_resolve_field_type` maps annotations.
Result<TypeDef> type_def_for(const codec::StructDesc& desc,
                             const std::set<std::string>& self_ref_targets,
                             const std::map<std::string, TypeHash>& hashes);

// The v1 field schema of one field as 0.1.2's `build_field_v1` (manifest.py) writes it.
FieldSchema field_schema_for(const codec::FieldDesc& field);

// The class name 0.1.2 shows for a type (`__name__`): the wire tag's name after its last '.'.
std::string display_name(const codec::WireName& wire_name);

}  // namespace aster::contract
