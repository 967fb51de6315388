// The canonical contract structures of aster-rpc 0.1.2 (aster-rpc@0972ac9:core/src/contract.rs
// `write_*`) and their canonical bytes. Field order, sorting and zero values follow the shipped
// Rust writer, not the spec where they differ (no `alpn` field; names emitted as given).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aster::contract {

// ── Enumerations (normative numeric values, core/src/contract.rs) ───────────
enum class TypeKind : uint8_t { kPrimitive = 0, kRef = 1, kSelfRef = 2, kAny = 3 };
enum class ContainerKind : uint8_t { kNone = 0, kList = 1, kSet = 2, kMap = 3 };
enum class TypeDefKind : uint8_t { kMessage = 0, kEnum = 1, kUnion = 2 };
enum class MethodPattern : uint8_t {
  kUnary = 0,
  kServerStream = 1,
  kClientStream = 2,
  kBidiStream = 3,
};
enum class CapabilityKind : uint8_t { kRole = 0, kAnyOf = 1, kAllOf = 2 };
// SESSION is spelled STREAM in the spec and the golden vectors; same value.
enum class ScopeKind : uint8_t { kShared = 0, kSession = 1 };

// "unary", "server_stream", "client_stream", "bidi_stream" — the decorator strings of 0.1.2,
// used in manifest.json.
std::string_view method_pattern_name(MethodPattern pattern);
std::optional<MethodPattern> parse_method_pattern(std::string_view name);
// "shared" / "session".
std::string_view scope_kind_name(ScopeKind scope);

// A 32-byte BLAKE3 digest (type hash).
using TypeHash = std::array<uint8_t, 32>;

// ── Structures; every list is written in the order stated on each struct ──
struct FieldDef {
  int32_t id = 0;
  std::string name;
  TypeKind type_kind = TypeKind::kPrimitive;
  std::string type_primitive;
  std::vector<uint8_t> type_ref;  // raw hash bytes or empty
  std::string self_ref_name;
  bool optional = false;
  bool ref_tracked = false;
  ContainerKind container = ContainerKind::kNone;
  TypeKind container_key_kind = TypeKind::kPrimitive;
  std::string container_key_primitive;
  std::vector<uint8_t> container_key_ref;
};

struct EnumValueDef {
  std::string name;
  int32_t value = 0;
};

struct UnionVariantDef {
  std::string name;
  int32_t id = 0;
  std::vector<uint8_t> type_ref;
};

// Written with fields sorted by id, enum values by value, variants by id (stable sorts).
struct TypeDef {
  TypeDefKind kind = TypeDefKind::kMessage;
  std::string package;
  std::string name;
  std::vector<FieldDef> fields;
  std::vector<EnumValueDef> enum_values;
  std::vector<UnionVariantDef> union_variants;
};

// Roles are NFC-normalized, sorted by code point and written normalized.
// As a 0.1.2 service declares it: `@rpc(requires=Role.STATUS)` is role("ops.status"),
// `any_of(A, B)` and `all_of(A, B)` the same here (aster-rpc@0972ac9:bindings/python/aster/
// contract/identity.py `CapabilityRequirement`; enforced by rpc/capability.hpp).
struct CapabilityRequirement {
  CapabilityKind kind = CapabilityKind::kRole;
  std::vector<std::string> roles;

  static CapabilityRequirement role(std::string name) {
    return CapabilityRequirement{CapabilityKind::kRole, {std::move(name)}};
  }
  static CapabilityRequirement any_of(std::vector<std::string> names) {
    return CapabilityRequirement{CapabilityKind::kAnyOf, std::move(names)};
  }
  static CapabilityRequirement all_of(std::vector<std::string> names) {
    return CapabilityRequirement{CapabilityKind::kAllOf, std::move(names)};
  }
};

struct MethodDef {
  std::string name;
  MethodPattern pattern = MethodPattern::kUnary;
  std::vector<uint8_t> request_type;  // raw 32-byte hash (zero bytes if unknown)
  std::vector<uint8_t> response_type;
  bool idempotent = false;
  double default_timeout = 0.0;  // seconds; 0.0 when none
  std::optional<CapabilityRequirement> requires_;
};

// Methods are written sorted by the code points of their NFC-normalized names (names themselves
// are written as given); serialization modes keep their order.
struct ServiceContract {
  std::string name;
  int32_t version = 1;
  std::vector<MethodDef> methods;
  std::vector<std::string> serialization_modes;
  ScopeKind scoped = ScopeKind::kShared;
  std::optional<CapabilityRequirement> requires_;
};

std::vector<uint8_t> canonical_bytes(const TypeDef& type_def);
std::vector<uint8_t> canonical_bytes(const MethodDef& method);
std::vector<uint8_t> canonical_bytes(const ServiceContract& contract);

// NFC normalization (ICU). Invalid UTF-8 is returned unchanged: the canonical bytes of a name
// are its bytes as given, and only sort keys use this.
std::string nfc_normalize(std::string_view utf8);
// Strict "less" by Unicode code points of the NFC forms (contract.rs, method order).
bool nfc_codepoint_less(std::string_view a, std::string_view b);

}  // namespace aster::contract
