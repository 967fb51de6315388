// Building codec type descriptions by hand (header-only parts of aster/codec/type_desc.hpp),
// so contract tests run without the codec library.
#pragma once

#include <memory>

#include "aster/codec/type_desc.hpp"

namespace aster::contract::testing {

using codec::TypeKind;
using codec::TypeRef;

inline TypeRef scalar(TypeKind k) {
  return std::make_shared<const codec::TypeDesc>(codec::TypeDesc{.kind = k, .element = nullptr, .key = nullptr, .struct_type = nullptr, .enum_type = nullptr});
}
inline TypeRef list_of(TypeRef e) {
  return std::make_shared<const codec::TypeDesc>(
      codec::TypeDesc{.kind = TypeKind::kList, .element = std::move(e), .key = nullptr, .struct_type = nullptr, .enum_type = nullptr});
}
inline TypeRef set_of(TypeRef e) {
  return std::make_shared<const codec::TypeDesc>(
      codec::TypeDesc{.kind = TypeKind::kSet, .element = std::move(e), .key = nullptr, .struct_type = nullptr, .enum_type = nullptr});
}
inline TypeRef map_of(TypeRef k, TypeRef v) {
  return std::make_shared<const codec::TypeDesc>(
      codec::TypeDesc{.kind = TypeKind::kMap, .element = std::move(v), .key = std::move(k), .struct_type = nullptr, .enum_type = nullptr});
}
inline TypeRef optional_of(TypeRef e) {
  return std::make_shared<const codec::TypeDesc>(
      codec::TypeDesc{.kind = TypeKind::kOptional, .element = std::move(e), .key = nullptr, .struct_type = nullptr, .enum_type = nullptr});
}
inline TypeRef ref(const codec::StructDesc& d) {
  return std::make_shared<const codec::TypeDesc>(
      codec::TypeDesc{.kind = TypeKind::kStruct, .element = nullptr, .key = nullptr, .struct_type = &d, .enum_type = nullptr});
}
inline std::unique_ptr<codec::StructDesc> make_struct(std::string ns, std::string name,
                                                      std::vector<codec::FieldDesc> fields) {
  auto d = std::make_unique<codec::StructDesc>();
  d->set_wire_name({std::move(ns), std::move(name)});
  d->set_fields(std::move(fields));
  return d;
}

}  // namespace aster::contract::testing
