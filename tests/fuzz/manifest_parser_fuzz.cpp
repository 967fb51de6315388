// libFuzzer target: the manifest.json parser on arbitrary bytes (issue 4, "Bad input"). It must
// never crash, hang or leak; whatever parses must re-serialize and parse back to the same value,
// and turning it into codec type descriptions (ManifestTypes, which follows refs between
// schemas, cycles included) must terminate with a type or an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aster/contract/manifest.hpp"
#include "aster/contract/manifest_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = aster::contract::parse_manifest_file(text);
  if (!parsed.is_ok()) return 0;
  for (const auto& m : *parsed) {
    auto again = aster::contract::parse_manifest(aster::contract::write_manifest_json(m));
    if (!again.is_ok() || !(*again == m)) std::abort();
  }
  aster::contract::ManifestTypes types(*parsed, {});
  for (const auto& m : *parsed) {
    for (const auto& method : m.methods) {
      (void)types.find_type(method.request_type).is_ok();
      (void)types.find_type(method.response_wire_tag).is_ok();
    }
  }
  return 0;
}
