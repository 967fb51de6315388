// JSON mode (serializationMode 3) as aster-rpc 0.1.2 writes and reads it (json_codec.py):
// `json.dumps(asdict(x), separators=(",", ":"))` — declaration order, ASCII-only output with
// \uXXXX escapes, Python float repr — and a strict reader (unknown keys → CONTRACT_VIOLATION,
// missing keys → field defaults). Where 0.1.2 cannot encode a value we choose (docs/codec.md):
// bytes → standard base64 string; enums → member name (ordinals accepted on input); sets →
// arrays; NaN/±inf → "NaN" / "Infinity" / "-Infinity" (bare NaN/Infinity accepted on input);
// date → "YYYY-MM-DD"; timestamp → "YYYY-MM-DDTHH:MM:SS.ffffffZ"; non-string map keys → their
// JSON text as the key (converted back by the key type on input).
//
//   std::string j = aster::codec::json_encode(header).value();
//   auto h = aster::codec::json_decode<aster::wire::StreamHeader>(j);
#pragma once

#include <string>
#include <string_view>

#include "aster/codec/declare.hpp"
#include "aster/codec/value.hpp"
#include "aster/status.hpp"

namespace aster::codec {

// `type` may be null for an untyped value (bytes then become base64 strings, and so on).
Result<std::string> json_encode_value(const Value& value, const TypeDesc* type);
// Strict decode of JSON into a Value shaped by `type` (missing struct fields get defaults).
Result<Value> json_decode_value(std::string_view json, const TypeDesc& type);
// The value a field of this type has when absent: 0, "", [], {}, None, first enum member...
Value default_value(const TypeDesc& type);

template <typename T>
Result<std::string> json_encode(const T& value) {
  return json_encode_value(to_value(value), type_desc<T>().get());
}
template <typename T>
Result<T> json_decode(std::string_view json) {
  Result<Value> v = json_decode_value(json, *type_desc<T>());
  if (!v.is_ok()) return v.status();
  return from_value<T>(*v);
}

}  // namespace aster::codec
