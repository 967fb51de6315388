// libFuzzer target: the manifest.json parser on arbitrary bytes (issue 4, "Bad input"). It must
// never crash, hang or leak; whatever parses must re-serialize and parse back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aster/contract/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = aster::contract::parse_manifest_file(text);
  if (!parsed.is_ok()) return 0;
  for (const auto& m : *parsed) {
    auto again = aster::contract::parse_manifest(aster::contract::write_manifest_json(m));
    if (!again.is_ok()) std::abort();
  }
  return 0;
}
