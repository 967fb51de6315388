// libFuzzer target: JSON mode decoding (the shell and proxy clients read JSON from peers).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aster/codec/json.hpp"
#include "corpus_types.hpp"

namespace {
template <typename T>
void check(std::string_view json) {
  auto type = aster::codec::type_desc<T>();
  auto v = aster::codec::json_decode_value(json, *type);
  if (!v.is_ok()) return;
  auto out = aster::codec::json_encode_value(*v, type.get());
  if (!out.is_ok() || !aster::codec::json_decode_value(*out, *type).is_ok()) __builtin_trap();
  (void)aster::codec::from_value<T>(*v);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check<aster::wire::StreamHeader>(in);
  check<corpus::Collections>(in);
  check<corpus::Optionals>(in);
  check<corpus::Outer>(in);
  check<corpus::Times>(in);
  check<corpus::Untyped>(in);
  return 0;
}
