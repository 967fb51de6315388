// Declaring a C++ message type once, for every part of Aster.
//
//   namespace demo {
//   enum class Mood { kCalm, kBusy };
//   ASTER_ENUM(Mood, "demo.types/Mood",            // pyfory: namespace=__module__, qualname
//              ASTER_ENUMERATOR(kCalm, "CALM"),     // Python member names, declaration order
//              ASTER_ENUMERATOR(kBusy, "BUSY"));    // ordinal = position (what travels)
//   enum class Shape { kCircle, kSquare };          // Python: CIRCLE = "circle", SQUARE = …
//   ASTER_ENUM(Shape, "shop/Shape",                 // values that are not the ordinals:
//              ASTER_ENUMERATOR_VALUE(kCircle, "CIRCLE", "circle"),   // a str or an int
//              ASTER_ENUMERATOR_VALUE(kSquare, "SQUARE", "square"));  // (IntEnum HIGH = 20)
//
//   struct StatusResponse {
//     std::string agent_id;
//     std::string status;
//     int64_t uptime_secs = 0;                      // Python int → VARINT64
//     std::optional<Mood> mood;                     // Optional[Mood]
//     std::vector<StatusResponse> history;          // recursive: list[StatusResponse]
//   };
//   ASTER_MESSAGE(StatusResponse, "mission/StatusResponse",   // @wire_type tag
//                 ASTER_FIELD(agent_id), ASTER_FIELD(status),
//                 ASTER_FIELD_AS(uptime_secs, "uptimeSecs"),  // Python name differs
//                 ASTER_FIELD(mood), ASTER_FIELD(history));
//   }  // namespace demo
//
//   auto bytes = aster::codec::fory_encode(resp);                       // aster/codec/fory.hpp
//   auto back  = aster::codec::fory_decode<demo::StatusResponse>(bytes);
//   const aster::codec::StructDesc& d = aster::codec::struct_desc<demo::StatusResponse>();
//
// Rules:
// - ASTER_MESSAGE / ASTER_ENUM go in the namespace of the type (found by ADL), after it.
// - Fields are listed in the Python declaration order; contracts number them 1-based in this
//   order (d.fields()); the Fory wire order is derived (pyfory 0.16.0
//   python/pyfory/struct.py `group_fields`).
// - The field name is the Python name, verbatim; it enters the struct hash, the wire order and
//   JSON. ASTER_FIELD(m) uses the member's spelling; ASTER_FIELD_AS(m, "pyName") overrides it.
//
// C++ type → Python annotation → TypeKind (pyfory 0.16.0 python/pyfory/registry.py
// `_initialize_common`, types.py `TypeId`):
//   bool→bool; int64_t→int (VARINT64); int32_t→pyfory.int32 (VARINT32); int16_t→int16;
//   int8_t→int8; uint8_t/uint16_t→uint8/uint16; uint32_t→pyfory.uint32 (VAR_UINT32);
//   uint64_t→pyfory.uint64 (VAR_UINT64); Fixed<int32_t|int64_t|uint32_t|uint64_t>→fixed_*;
//   Tagged<int64_t|uint64_t>→tagged_*; float→float32; double→float; std::string→str;
//   Bytes→bytes; Date→datetime.date; Timestamp→datetime.datetime;
//   std::vector<T>→list[T]; std::set/unordered_set<T>→set[T]; std::map/unordered_map<K,V>→
//   dict[K,V]; std::optional<T> and std::unique_ptr<T>→Optional[T]; declared enum/struct;
//   aster::Value→no annotation (untyped, the value carries its type).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "aster/codec/scalars.hpp"
#include "aster/codec/type_desc.hpp"

namespace aster::codec {

// ---- declarations -----------------------------------------------------------------------

// ADL tag: the macros define `aster_declare(DeclTag<T>)` next to T.
template <typename T>
struct DeclTag {};

template <auto MemberPtr>
struct FieldDecl;
template <typename C, typename M, M C::*Ptr>
struct FieldDecl<Ptr> {
  using Class = C;
  using Member = M;
  static constexpr M C::*kPtr = Ptr;
  std::string_view name;
};
template <auto MemberPtr>
constexpr FieldDecl<MemberPtr> field(std::string_view python_name) {
  return {python_name};
}

template <typename T, typename... Fields>
struct MessageDecl {
  using Type = T;
  std::string_view tag;
  std::tuple<Fields...> fields;
};
template <typename T, typename... Fields>
constexpr MessageDecl<T, Fields...> message_decl(std::string_view tag, Fields... fields) {
  return {tag, std::tuple<Fields...>(fields...)};
}

// One enum member: the C++ enumerator, the Python member name and, when the Python member's
// value is not its ordinal (`CIRCLE = "circle"`, an IntEnum's `HIGH = 20`), that value. The
// value never travels in Fory (ordinals do) and never enters the contract_id; JSON mode writes
// and reads it as 0.1.2 does (`json.dumps` of an IntEnum is its value; the producer maps a
// value back to its member), and the manifest lists it in `enum_values`.
template <typename E>
struct Enumerator {
  enum class PythonValue : uint8_t { kOrdinal, kInt, kString };
  E value;
  std::string_view name;
  PythonValue python_value = PythonValue::kOrdinal;
  int64_t int_value = 0;
  std::string_view string_value;
};
template <typename E>
constexpr Enumerator<E> enumerator(E value, std::string_view name) {
  return {value, name, Enumerator<E>::PythonValue::kOrdinal, 0, {}};
}
template <typename E>
constexpr Enumerator<E> enumerator(E value, std::string_view name, int64_t python_value) {
  return {value, name, Enumerator<E>::PythonValue::kInt, python_value, {}};
}
template <typename E>
constexpr Enumerator<E> enumerator(E value, std::string_view name,
                                   std::string_view python_value) {
  return {value, name, Enumerator<E>::PythonValue::kString, 0, python_value};
}
template <typename E, size_t N>
struct EnumDecl {
  using Type = E;
  std::string_view tag;
  std::array<Enumerator<E>, N> members;
};
template <typename E, typename... M>
constexpr EnumDecl<E, sizeof...(M)> enum_decl(std::string_view tag, M... members) {
  return {tag, {members...}};
}

template <typename T>
concept DeclaredMessage = requires { aster_declare(DeclTag<T>{}).fields; };
template <typename T>
concept DeclaredEnum = std::is_enum_v<T> && requires { aster_declare(DeclTag<T>{}).members; };

// ---- descriptions derived from declarations -----------------------------------------------

template <typename T>
struct TypeOf;  // TypeOf<T>::desc() → TypeRef; specialised below for every supported type

template <typename T>
TypeRef type_desc() {
  return TypeOf<T>::desc();
}

// The StructDesc of a declared message (fields in declaration order, FieldDesc::access set).
template <DeclaredMessage T>
const StructDesc& struct_desc();
// The EnumDesc of a declared enum; ordinal_of/enum_from_ordinal map C++ values ↔ ordinals.
template <DeclaredEnum E>
const EnumDesc& enum_desc();
template <DeclaredEnum E>
int enum_ordinal(E value);  // -1 if the value is not declared
template <DeclaredEnum E>
std::optional<E> enum_from_ordinal(uint64_t ordinal);

}  // namespace aster::codec

#define ASTER_MESSAGE(Type, tag, ...)                                                 \
  [[maybe_unused]] constexpr auto aster_declare(::aster::codec::DeclTag<Type>) {      \
    using Self = Type;                                                                \
    return ::aster::codec::message_decl<Self>(tag __VA_OPT__(, ) __VA_ARGS__);         \
  }
#define ASTER_FIELD(member) ::aster::codec::field<&Self::member>(#member)
#define ASTER_FIELD_AS(member, python_name) ::aster::codec::field<&Self::member>(python_name)

#define ASTER_ENUM(Type, tag, ...)                                                    \
  [[maybe_unused]] constexpr auto aster_declare(::aster::codec::DeclTag<Type>) {      \
    using Self = Type;                                                                \
    return ::aster::codec::enum_decl<Self>(tag, __VA_ARGS__);                         \
  }
#define ASTER_ENUMERATOR(value, python_name) \
  ::aster::codec::enumerator<Self>(Self::value, python_name)
#define ASTER_ENUMERATOR_VALUE(value, python_name, python_value) \
  ::aster::codec::enumerator<Self>(Self::value, python_name, python_value)

#include "aster/codec/detail/declare_impl.hpp"  // IWYU pragma: export
