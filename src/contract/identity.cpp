#include "aster/contract/identity.hpp"

#include <aster_iroh.h>

namespace aster::contract {

TypeHash blake3(std::span<const uint8_t> data) {
  TypeHash out{};
  // Only fails on a null argument; data() of an empty span may be null, so pass a valid pointer.
  static const uint8_t kEmpty = 0;
  aster_iroh_blake3(data.empty() ? &kEmpty : data.data(), data.size(), out.data());
  return out;
}

TypeHash type_hash(const TypeDef& type_def) {
  return blake3(canonical_bytes(type_def));
}

std::string contract_id(const ServiceContract& contract) {
  return to_hex(blake3(canonical_bytes(contract)));
}

TypeHash primitive_stand_in_hash(std::string_view primitive_name) {
  return blake3({reinterpret_cast<const uint8_t*>(primitive_name.data()), primitive_name.size()});
}


}  // namespace aster::contract
