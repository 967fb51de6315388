// The portable contract file `<Service>.aster.json` of aster-cli 0.1.2's `aster contract export`
// and what `aster contract verify` checks in it (aster-rpc@0972ac9:cli/aster_cli/contract.py
// `_manifest_to_export`, `_export_to_json`, `_load_manifests`, `_verify_command`).
//
// The export is made from the manifest JSON as read — not from a parsed ContractManifest — so
// that whatever a manifest holds (the runtime writer's form, `aster contract gen`'s form with
// integer serialization modes and vcs fields, legacy field lists, extra keys) comes out as
// 0.1.2 writes it: the fixed keys in 0.1.2's order, methods and fields sorted by name with
// 0.1.2's key order, serialization_modes and type_hashes sorted, 2-space indent, non-ASCII
// kept, a trailing newline. Input 0.1.2 would crash on (a manifest without `service`, a method
// that is not an object) is refused with the JSON path of the problem.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aster/contract/collection.hpp"
#include "aster/status.hpp"

namespace aster::cli {

using OrderedJson = nlohmann::ordered_json;

// The manifests of a manifest file: one object, or an array of them (`_load_manifests`).
Result<std::vector<OrderedJson>> manifests_in_file(std::string_view text);

// `_manifest_to_export(manifest)`.
Result<OrderedJson> export_form(const OrderedJson& manifest);

// `_export_to_json(export)`: json.dumps(indent=2, ensure_ascii=False) + "\n".
std::string export_text(const OrderedJson& export_doc);

// 0.1.2's file name for a service's export, `<Service>.aster.json`; refused when the name is
// not one plain path component (a peer's service name must not write outside --out).
Result<std::string> export_file_name(const std::string& service);

// The contract_id the contents of an export imply, recomputed as 0.1.2 computes it
// (aster-rpc@0972ac9:bindings/python/aster/contract/identity.py `from_service_info`, canonical
// bytes, BLAKE3): service, version, scope, serialization modes and each method's name,
// pattern, idempotency and timeout come from the file; a method's request/response type hash
// is the hash of the type blob whose TypeDef has the method's wire tag (package/name), or
// 0.1.2's stand-ins (a primitive's name hash, zero bytes for a type it could not resolve).
// 0.1.2 never puts capability requirements into a contract (`requires=None`).
//
// An export alone is not enough: it lists the type hashes but not which method uses which,
// nor the TypeDefs; `blobs` (a collection's types/) supply them. What the export cannot say
// is tried when the plain reading differs from the file's id: the declaration order of several
// serialization modes (the export sorts them), and response types hashed as zero (0.1.2 reads
// them as strings under `from __future__ import annotations`).
struct RecomputedId {
  std::string contract_id;     // hex: the plain reading (modes as listed, every type hashed)
  bool matches_claim = false;  // the plain reading or one variant gives the file's id
  std::string variant;         // which variant matched ("" = the plain reading)
};
Result<RecomputedId> recompute_contract_id(const OrderedJson& export_doc,
                                           const std::vector<contract::TypeBlob>& blobs);

}  // namespace aster::cli
