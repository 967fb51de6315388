// aster::Value — a message without a C++ type, for the shell and raw transport.
//
//   aster::Value v = aster::Value::make_struct("mission/StatusResponse",
//       {{"agent_id", "a1"}, {"status", "idle"}, {"uptime_secs", int64_t{42}}});
//   auto bytes = aster::codec::fory_encode_value(v, *type);  // same bytes as the static path
//
// Kinds: null, bool, int (int64; uint64 values above INT64_MAX use kUint), float (double),
// string (UTF-8), bytes, list (also sets), map (ordered entries, any key kind), struct
// (type tag + fields by Python name, declaration order). Enums are their member name as a
// string (encoders accept the ordinal as an int too). Dates are int days since the epoch,
// timestamps int microseconds since the epoch.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "aster/codec/scalars.hpp"

namespace aster {

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kUint, kFloat, kString, kBytes, kList, kMap, kStruct };
  using List = std::vector<Value>;
  using Map = std::vector<std::pair<Value, Value>>;
  struct Struct;  // type tag + fields; defined below (needs a complete Value)

  Value() = default;
  Value(std::nullptr_t) {}                            // NOLINT
  Value(bool b) : v_(b) {}                            // NOLINT
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  Value(I v) {  // NOLINT: implicit by design
    if constexpr (std::is_unsigned_v<I> && sizeof(I) == 8) {
      if (v > static_cast<uint64_t>(INT64_MAX)) {
        v_ = static_cast<uint64_t>(v);
        return;
      }
    }
    v_ = static_cast<int64_t>(v);
  }
  Value(double v) : v_(v) {}                          // NOLINT
  Value(const char* s) : v_(std::string(s)) {}        // NOLINT
  Value(std::string s) : v_(std::move(s)) {}          // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}   // NOLINT
  Value(codec::Bytes b) : v_(std::move(b)) {}         // NOLINT
  Value(List l);    // NOLINT
  Value(Map m);     // NOLINT
  Value(Struct s);  // NOLINT

  static Value make_struct(std::string type, std::vector<std::pair<std::string, Value>> fields);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  uint64_t as_uint() const { return std::get<uint64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const codec::Bytes& as_bytes() const { return std::get<codec::Bytes>(v_); }
  const List& as_list() const { return *std::get<std::shared_ptr<List>>(v_); }
  const Map& as_map() const { return *std::get<std::shared_ptr<Map>>(v_); }
  const Struct& as_struct() const { return *std::get<std::shared_ptr<Struct>>(v_); }
  // Copy-on-write mutation (values share structure after copies).
  List& mutable_list();
  Map& mutable_map();
  Struct& mutable_struct();

  // Deep equality; floats compare bitwise-equal or both NaN (so NaN round trips compare equal
  // and -0.0 != 0.0); an int equals a uint of the same number.
  friend bool operator==(const Value& a, const Value& b);
  // Compact debugging text (JSON-like).
  std::string debug_string() const;

 private:
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, codec::Bytes,
               std::shared_ptr<List>, std::shared_ptr<Map>, std::shared_ptr<Struct>>
      v_;
};

struct Value::Struct {
  std::string type;  // wire tag "ns/Name"
  std::vector<std::pair<std::string, Value>> fields;
  const Value* find(std::string_view name) const;
  friend bool operator==(const Struct& a, const Struct& b) {
    return a.type == b.type && a.fields == b.fields;
  }
};

inline Value::Value(List l) : v_(std::make_shared<List>(std::move(l))) {}
inline Value::Value(Map m) : v_(std::make_shared<Map>(std::move(m))) {}
inline Value::Value(Struct s) : v_(std::make_shared<Struct>(std::move(s))) {}
inline Value Value::make_struct(std::string type,
                                std::vector<std::pair<std::string, Value>> fields) {
  return Value(Struct{std::move(type), std::move(fields)});
}

}  // namespace aster
