// A published contract collection, read back from disk: the layout 0.1.2's `build_collection`
// publishes (aster-rpc@0972ac9:bindings/python/aster/contract/publication.py) and
// `ContractArtifacts::collection_entries()` writes:
//
//   <dir>/manifest.json       the service's manifest (one object)
//   <dir>/contract.bin        canonical ServiceContract bytes; BLAKE3 = contract_id
//   <dir>/types/<hash>.bin    canonical TypeDef bytes, one per type; BLAKE3 = <hash>
//
//   auto c = aster::contract::read_collection("coll/");                 // trusts file names
//   auto v = aster::contract::read_collection("coll/", {.verify = true}); // re-hashes once
//   aster::contract::ManifestTypes types(*c);   // manifest_types.hpp: find_type, JSON ↔ Fory
//
// Reading trusts the hash in each file name (it is how the type is referenced by REF fields);
// `verify` checks every hash, the contract_id and the manifest's type_hashes against the
// bytes — BLAKE3 of the file content, no decode/re-encode round trip.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "aster/contract/definitions.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/status.hpp"

namespace aster::contract {

// One canonical type blob: its TypeDef and the hash it is published under.
struct TypeBlob {
  TypeHash hash{};
  TypeDef type_def;
};

struct Collection {
  ContractManifest manifest;
  std::vector<uint8_t> contract_bytes;  // contract.bin (empty when the file is absent)
  std::vector<TypeBlob> types;          // types/<hash>.bin, sorted by hash
};

struct CollectionReadOptions {
  bool verify = false;                // BLAKE3 every blob against its name, contract_id, hashes
  bool require_contract_bin = false;  // a directory holding only manifest.json + types/ is fine
  size_t max_type_blobs = 100'000;
  size_t max_blob_bytes = 1u << 20;
};

// Reads the layout above. Errors name the file (path relative to `dir`) and what is wrong.
Result<Collection> read_collection(const std::filesystem::path& dir,
                                   const CollectionReadOptions& options = {});

// Only the type blobs: `dir` holds `<hash>.bin` files (or is a collection holding `types/`).
// Files not named `<64 hex digits>.bin` are ignored.
Result<std::vector<TypeBlob>> read_type_blobs(const std::filesystem::path& dir,
                                              const CollectionReadOptions& options = {});

// Whole contents of a file, refusing more than `max_bytes`. Works on FIFOs and /dev/stdin
// (reads until end of file; no size query).
Result<std::string> read_file_capped(const std::filesystem::path& path, size_t max_bytes);

}  // namespace aster::contract
