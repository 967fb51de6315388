// From a ServiceDesc to everything 0.1.2 derives from a @service class (sheet §4, §6, §7):
// TypeDefs and their hashes (type graph, §5), the ServiceContract and contract_id, the type
// blobs, and manifest.json with field schemas.
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

  // Collection entries in 0.1.2 order: contract.bin, types/<hex>.bin…, manifest.json (§7).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> collection_entries() const;
};

Result<ContractArtifacts> build_contract_artifacts(const ServiceDesc& service);

// 0.1.2's startup check (sheet §6.4; `AsterServer.start`, `verify_manifest_or_fatal`): given
// the text of a committed `.aster/manifest.json` (one manifest or an array), every served
// (service, version) it lists must have the listed contract_id. Services it does not list pass.
// FAILED_PRECONDITION names the service, both ids, and says to regenerate the manifest.
Status verify_committed_manifest(std::string_view manifest_json,
                                 std::span<const ContractArtifacts> served);

// The graph key and SELF_REF name of a struct: "<namespace>.<name>" of its wire tag, i.e. the
// TypeDef's package + "." + name.
std::string type_graph_name(const codec::StructDesc& desc);

// TypeDef of one struct as 0.1.2's `_build_type_def` builds it: MESSAGE, package/name from the
// wire tag, FieldDef id = 1-based declaration index, field types per the sheet §4 table.
Result<TypeDef> type_def_for(const codec::StructDesc& desc,
                             const std::set<std::string>& self_ref_targets,
                             const std::map<std::string, TypeHash>& hashes);

// The v1 field schema of one field as 0.1.2's `build_field_v1` writes it (sheet §6.2).
FieldSchema field_schema_for(const codec::FieldDesc& field);

// The class name 0.1.2 shows for a type (`__name__`): the wire tag's name after its last '.'.
std::string display_name(const codec::WireName& wire_name);

}  // namespace aster::contract
