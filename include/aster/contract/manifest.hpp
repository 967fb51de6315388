// manifest.json: the readable, unhashed description of one service contract that a 0.1.2
// producer publishes (collection entry `manifest.json` and registry key `manifests/<cid>`).
// aster-rpc@0972ac9:bindings/python/aster/contract/manifest.py. The writer reproduces 0.1.2's
// runtime writer — `json.dumps(asdict(m), indent=2)` in `ContractManifest.to_json`, fed by
// `build_collection` — key for key and in its key order.
// (`aster contract gen` writes a different form: integer serialization modes, vcs fields,
// arrays; the parser accepts it.)
//
// The parser treats its input as hostile: bounded size and nesting, every field type-checked,
// and every error names the JSON path of the offending value, e.g.
//   manifest: $.methods[1].fields[0].kind: expected one of string|int|float|bool|bytes|list|
//   map|ref|enum, got "integer"
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aster/status.hpp"

namespace aster::contract {

// One field of the v1 field schema (0.1.2 manifest.py `build_field_v1`). Conditional keys are
// written only when set, in 0.1.2's order.
struct FieldSchema {
  std::string name;
  std::string kind;  // string|int|float|bool|bytes|list|map|ref|enum
  bool nullable = false;
  bool required = false;
  nlohmann::json default_value;         // JSON-safe value, null, or str() of the Python default
  std::string default_kind = "none";    // value|empty_list|empty_map|factory|none (+ legacy null)
  std::optional<std::string> ref_name;  // ref, enum (and list/map items through item_ref…)
  std::optional<std::string> wire_tag;  // ref
  std::optional<nlohmann::json> enum_values;  // enum: the Python member values, in order
  std::optional<std::string> item_kind;
  std::optional<std::string> item_ref;
  std::optional<std::string> item_wire_tag;
  std::optional<bool> item_nullable;
  std::optional<std::string> key_kind;
  std::optional<std::string> value_kind;
  std::optional<std::string> value_ref;
  std::optional<bool> value_nullable;
  nlohmann::json properties = nlohmann::json::object();

  friend bool operator==(const FieldSchema&, const FieldSchema&) = default;
};

struct MethodDescriptor {
  std::string name;
  std::string pattern = "unary";  // unary|server_stream|client_stream|bidi_stream
  std::string request_type;       // Python class name (not a hash)
  std::string response_type;
  std::string request_wire_tag;
  std::string response_wire_tag;
  std::optional<double> timeout;  // seconds, null when none
  bool idempotent = false;
  std::vector<FieldSchema> fields;  // request fields, declaration order
  std::vector<FieldSchema> response_fields;

  friend bool operator==(const MethodDescriptor&, const MethodDescriptor&) = default;
};

struct ContractManifest {
  int64_t v = 1;
  std::string service;
  int32_t version = 1;
  std::string contract_id;
  std::string canonical_encoding = "fory-xlang/0.15";  // a label only
  int64_t type_count = 0;
  std::vector<std::string> type_hashes;  // hex, sorted
  int64_t method_count = 0;
  std::vector<MethodDescriptor> methods;         // sorted by name
  std::vector<std::string> serialization_modes;  // e.g. ["xlang"]
  std::string scoped = "shared";                 // shared|session
  bool deprecated = false;
  std::optional<std::string> semver;
  std::optional<std::string> vcs_revision;
  std::optional<std::string> vcs_tag;
  std::optional<std::string> vcs_url;
  std::optional<std::string> changelog;
  std::string published_by;
  int64_t published_at_epoch_ms = 0;

  const MethodDescriptor* find_method(std::string_view name) const;

  friend bool operator==(const ContractManifest&, const ContractManifest&) = default;
};

// Limits for untrusted manifests. 0.1.2 truncates lists beyond its limits (aster/limits.py);
// we refuse them, since a truncated schema silently misdescribes the service.
struct ManifestLimits {
  size_t max_bytes = 8u << 20;
  size_t max_depth = 32;  // JSON nesting; a valid manifest needs 6 (+ default/enum values)
  size_t max_methods = 10'000;
  size_t max_fields_per_method = 1'000;
  size_t max_type_hashes = 100'000;
  size_t max_string_bytes = 64u << 10;
};

nlohmann::ordered_json to_json(const FieldSchema& field);
nlohmann::ordered_json to_json(const MethodDescriptor& method);
nlohmann::ordered_json to_json(const ContractManifest& manifest);
// Exactly what 0.1.2's `ContractManifest.to_json()` returns (indent 2, ASCII-escaped).
std::string write_manifest_json(const ContractManifest& manifest);

// Parses one manifest object. Legacy (unversioned, TypeScript) field lists
// `{name,type,required,default}` are upgraded as 0.1.2's `upgrade_legacy_field` does;
// serialization modes may be strings or integers (`aster contract gen`: 0 = "xlang").
Result<ContractManifest> parse_manifest(std::string_view json_text,
                                        const ManifestLimits& limits = {});
// A manifest file: one object, or an array of them (`aster contract gen --service A --service B`).
Result<std::vector<ContractManifest>> parse_manifest_file(std::string_view json_text,
                                                          const ManifestLimits& limits = {});

}  // namespace aster::contract
