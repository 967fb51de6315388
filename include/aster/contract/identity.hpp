// Type hashes and contract_id: unkeyed BLAKE3-256 of canonical bytes, no domain separation
// (aster-rpc@0972ac9:core/src/contract.rs `compute_type_hash`/`compute_contract_id`). BLAKE3 is
// `aster_iroh_blake3` from the bridge crate's hash-only product (CMake target aster::blake3;
// docs/architecture.md), not iroh.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/contract/definitions.hpp"
#include "aster/hex.hpp"
#include "aster/status.hpp"

namespace aster::contract {

TypeHash blake3(std::span<const uint8_t> data);

// BLAKE3 of the TypeDef's canonical bytes; stored raw in type_ref/request_type/response_type.
TypeHash type_hash(const TypeDef& type_def);
// Lowercase hex BLAKE3 of the ServiceContract's canonical bytes.
std::string contract_id(const ServiceContract& contract);

// The stand-in hash 0.1.2 uses when a method's request/response type is a bare primitive:
// BLAKE3 of the primitive's name ("int64", "float64", "string", "bool", "binary").
TypeHash primitive_stand_in_hash(std::string_view primitive_name);

// Hex of hashes and ids: the project's one encoder (aster/hex.hpp), named here too.
using ::aster::from_hex;
using ::aster::to_hex;

}  // namespace aster::contract
