// libFuzzer target: Fory decoding, static and dynamic paths, over the corpus types.
// Invariant: whatever decodes also re-encodes, and the re-encoding decodes again.
#include <cstddef>
#include <cstdint>
#include <span>

#include "aster/codec/fory.hpp"
#include "corpus_types.hpp"

namespace {

template <typename T>
void static_round_trip(std::span<const uint8_t> data) {
  auto decoded = aster::codec::fory_decode<T>(data);
  if (!decoded.is_ok()) return;
  auto again = aster::codec::fory_encode(*decoded);
  if (!again.is_ok() || !aster::codec::fory_decode<T>(*again).is_ok()) __builtin_trap();
}

template <typename T>
void dynamic_round_trip(std::span<const uint8_t> data) {
  auto type = aster::codec::type_desc<T>();
  auto v = aster::codec::fory_decode_value(data, *type);
  if (!v.is_ok()) return;
  auto again = aster::codec::fory_encode_value(*v, *type);
  if (!again.is_ok() || !aster::codec::fory_decode_value(*again, *type).is_ok()) __builtin_trap();
}

template <typename T>
void both(std::span<const uint8_t> data) {
  static_round_trip<T>(data);
  dynamic_round_trip<T>(data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  // The first byte after the header picks nothing: every type sees every input, so a mutation
  // of one sample type explores the others' error paths too.
  both<aster::wire::StreamHeader>(in);
  both<aster::wire::CallHeader>(in);
  both<aster::wire::RpcStatus>(in);
  both<corpus::Scalars>(in);
  both<corpus::IntWidths>(in);
  both<corpus::Optionals>(in);
  both<corpus::Collections>(in);
  both<corpus::Outer>(in);
  both<corpus::Node>(in);
  both<corpus::Times>(in);
  both<corpus::NoNsRoot>(in);
  both<corpus::Untyped>(in);
  static const aster::codec::TypeRegistry* registry = [] {
    auto* r = new aster::codec::TypeRegistry;
    r->add_static(aster::codec::struct_desc<corpus::Outer>());
    r->add_static(aster::codec::struct_desc<corpus::Node>());
    r->add_static(aster::codec::struct_desc<corpus::Untyped>());
    r->add_static(aster::codec::struct_desc<aster::wire::StreamHeader>());
    return r;
  }();
  (void)aster::codec::fory_decode_any(in, *registry);
  return 0;
}
