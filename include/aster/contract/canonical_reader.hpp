// Reading canonical TypeDef bytes back (the `types/<hash>.bin` blobs of a published contract
// collection, aster-rpc@0972ac9:bindings/python/aster/contract/publication.py
// `build_collection`) — for tools that need the schema of a type a manifest merely names
// (aster fory --types). Peers' canonical bytes are never needed for identity
// (aster-rpc@0972ac9:ffi_spec/Aster-ContractIdentity.md, 11.4.4.1):
// this is a bounded, defensive reader, not part of contract_id computation.
#pragma once

#include <cstdint>
#include <span>

#include "aster/contract/definitions.hpp"
#include "aster/status.hpp"

namespace aster::contract {

// Parses exactly one TypeDef; errors name the byte offset. Lists are capped at 100 000 entries
// and strings/bytes at the input size.
Result<TypeDef> read_type_def(std::span<const uint8_t> bytes);

}  // namespace aster::contract
