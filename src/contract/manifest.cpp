#include "aster/contract/manifest.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace aster::contract {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

const MethodDescriptor* ContractManifest::find_method(std::string_view name) const {
  for (const auto& m : methods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// ── Writer ───────────────────────────────────────────────────────────────────

namespace {
ojson to_ordered(const json& j) {
  // Strings set from C++ may hold invalid UTF-8, on which dump() throws: replace such bytes
  // (a Python producer cannot emit them at all).
  return ojson::parse(j.dump(-1, ' ', false, json::error_handler_t::replace));
}
template <typename T>
ojson or_null(const std::optional<T>& v) {
  return v ? ojson(*v) : ojson(nullptr);
}
}  // namespace

ojson to_json(const FieldSchema& f) {
  // Key order of 0.1.2 `build_field_v1`: fixed keys, then the conditional ones in the order of
  // its tuple (ref_name, wire_tag, enum_values, item_kind, item_ref, item_wire_tag,
  // item_nullable, key_kind, value_kind, value_ref, value_nullable), then properties.
  ojson out = ojson::object();
  out["name"] = f.name;
  out["kind"] = f.kind;
  out["nullable"] = f.nullable;
  out["required"] = f.required;
  out["default_value"] = to_ordered(f.default_value);
  out["default_kind"] = f.default_kind;
  if (f.ref_name) out["ref_name"] = *f.ref_name;
  if (f.wire_tag) out["wire_tag"] = *f.wire_tag;
  if (f.enum_values) out["enum_values"] = to_ordered(*f.enum_values);
  if (f.item_kind) out["item_kind"] = *f.item_kind;
  if (f.item_ref) out["item_ref"] = *f.item_ref;
  if (f.item_wire_tag) out["item_wire_tag"] = *f.item_wire_tag;
  if (f.item_nullable) out["item_nullable"] = *f.item_nullable;
  if (f.key_kind) out["key_kind"] = *f.key_kind;
  if (f.value_kind) out["value_kind"] = *f.value_kind;
  if (f.value_ref) out["value_ref"] = *f.value_ref;
  if (f.value_nullable) out["value_nullable"] = *f.value_nullable;
  out["properties"] = to_ordered(f.properties);
  return out;
}

ojson to_json(const MethodDescriptor& m) {
  ojson out = ojson::object();
  out["name"] = m.name;
  out["pattern"] = m.pattern;
  out["request_type"] = m.request_type;
  out["response_type"] = m.response_type;
  out["request_wire_tag"] = m.request_wire_tag;
  out["response_wire_tag"] = m.response_wire_tag;
  out["timeout"] = or_null(m.timeout);
  out["idempotent"] = m.idempotent;
  out["fields"] = ojson::array();
  for (const auto& f : m.fields) out["fields"].push_back(to_json(f));
  out["response_fields"] = ojson::array();
  for (const auto& f : m.response_fields) out["response_fields"].push_back(to_json(f));
  return out;
}

ojson to_json(const ContractManifest& m) {
  // Dataclass field order of 0.1.2 `ContractManifest` (asdict keeps it).
  ojson out = ojson::object();
  out["v"] = m.v;
  out["service"] = m.service;
  out["version"] = m.version;
  out["contract_id"] = m.contract_id;
  out["canonical_encoding"] = m.canonical_encoding;
  out["type_count"] = m.type_count;
  out["type_hashes"] = m.type_hashes;
  out["method_count"] = m.method_count;
  out["methods"] = ojson::array();
  for (const auto& md : m.methods) out["methods"].push_back(to_json(md));
  out["serialization_modes"] = m.serialization_modes;
  out["scoped"] = m.scoped;
  out["deprecated"] = m.deprecated;
  out["semver"] = or_null(m.semver);
  out["vcs_revision"] = or_null(m.vcs_revision);
  out["vcs_tag"] = or_null(m.vcs_tag);
  out["vcs_url"] = or_null(m.vcs_url);
  out["changelog"] = or_null(m.changelog);
  out["published_by"] = m.published_by;
  out["published_at_epoch_ms"] = m.published_at_epoch_ms;
  return out;
}

std::string write_manifest_json(const ContractManifest& manifest) {
  // json.dumps(indent=2) escapes non-ASCII (ensure_ascii=True) and has no trailing newline.
  return to_json(manifest).dump(2, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
}

// ── Parser ───────────────────────────────────────────────────────────────────

namespace {

// Rejects input nested deeper than `max_depth` before any DOM is built (nlohmann's DOM is fine
// with depth, but nothing downstream needs more than a handful of levels).
Status check_depth(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return Status(StatusCode::kInvalidArgument,
                      "manifest: nesting deeper than " + std::to_string(max_depth) +
                          " levels at byte offset " + std::to_string(i));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::ok();
}

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::number_float:
      return "number";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    default:
      return "value";
  }
}

// Walks one JSON object with its path, collecting the first error.
class Reader {
 public:
  Reader(const json& obj, std::string path, const ManifestLimits& limits)
      : obj_(obj), path_(std::move(path)), limits_(limits) {}

  Status error(std::string_view key, const std::string& what) const {
    return Status(StatusCode::kInvalidArgument, "manifest: " + child(key) + ": " + what);
  }
  std::string child(std::string_view key) const { return path_ + "." + std::string(key); }
  const json* find(std::string_view key) const {
    auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }

  Status string(std::string_view key, std::string& out, bool required = false) const {
    const json* j = find(key);
    if (!j) return required ? error(key, "missing") : Status::ok();
    if (!j->is_string()) return error(key, std::string("expected a string, got ") + type_name(*j));
    const auto& s = j->get_ref<const std::string&>();
    if (s.size() > limits_.max_string_bytes) return error(key, "string too long");
    out = s;
    return Status::ok();
  }
  Status opt_string(std::string_view key, std::optional<std::string>& out) const {
    const json* j = find(key);
    if (!j || j->is_null()) return Status::ok();
    std::string s;
    ASTER_RETURN_IF_ERROR(string(key, s));
    out = std::move(s);
    return Status::ok();
  }
  Status boolean(std::string_view key, bool& out) const {
    const json* j = find(key);
    if (!j) return Status::ok();
    if (!j->is_boolean())
      return error(key, std::string("expected a boolean, got ") + type_name(*j));
    out = j->get<bool>();
    return Status::ok();
  }
  Status opt_boolean(std::string_view key, std::optional<bool>& out) const {
    const json* j = find(key);
    if (!j || j->is_null()) return Status::ok();
    bool b = false;
    ASTER_RETURN_IF_ERROR(boolean(key, b));
    out = b;
    return Status::ok();
  }
  // An integer in [lo, hi]. Accepts integral floats (Python's int() of 1.0), rejects others.
  Status integer(std::string_view key, int64_t& out, int64_t lo, int64_t hi) const {
    const json* j = find(key);
    if (!j) return Status::ok();
    int64_t v = 0;
    if (j->is_number_unsigned()) {
      uint64_t u = j->get<uint64_t>();
      if (u > static_cast<uint64_t>(hi))
        return error(key, "integer out of range: " + std::to_string(u));
      v = static_cast<int64_t>(u);
    } else if (j->is_number_integer()) {
      v = j->get<int64_t>();
    } else if (j->is_number_float()) {
      double d = j->get<double>();
      if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) ||
          d > static_cast<double>(hi)) {
        return error(key, "expected an integer, got " + j->dump());
      }
      v = static_cast<int64_t>(d);
    } else {
      return error(key, std::string("expected an integer, got ") + type_name(*j));
    }
    if (v < lo || v > hi) return error(key, "integer out of range: " + std::to_string(v));
    out = v;
    return Status::ok();
  }
  const json* array(std::string_view key, Status& st, size_t max_items) const {
    const json* j = find(key);
    if (!j || j->is_null()) return nullptr;
    if (!j->is_array()) {
      st = error(key, std::string("expected an array, got ") + type_name(*j));
      return nullptr;
    }
    if (j->size() > max_items) {
      st = error(key, "more than " + std::to_string(max_items) + " entries");
      return nullptr;
    }
    return j;
  }
  const std::string& path() const { return path_; }

 private:
  const json& obj_;
  std::string path_;
  const ManifestLimits& limits_;
};

constexpr std::array<std::string_view, 9> kFieldKinds = {"string", "int", "float", "bool", "bytes",
                                                         "list",   "map", "ref",   "enum"};
constexpr std::array<std::string_view, 6> kDefaultKinds = {"value",   "empty_list", "empty_map",
                                                           "factory", "none",       "null"};

template <size_t N>
Status one_of(const Reader& r, std::string_view key, const std::string& value,
              const std::array<std::string_view, N>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return Status::ok();
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : "|") + std::string(a);
  return r.error(key, "expected one of " + list + ", got \"" + value + "\"");
}

Status check_kind(const Reader& r, std::string_view key, const std::optional<std::string>& v) {
  return v ? one_of(r, key, *v, kFieldKinds) : Status::ok();
}

// 0.1.2 `upgrade_legacy_field`: {name, type, required, default} → v1.
FieldSchema upgrade_legacy_field(const json& old) {
  FieldSchema f;
  auto get_str = [&](const char* k, std::string def) {
    auto it = old.find(k);
    if (it == old.end() || it->is_null()) return def;
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  f.name = get_str("name", "");
  std::string type_str = get_str("type", "string");
  std::string lower = type_str;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto req = old.find("required");
  f.required = req != old.end() && req->is_boolean() && req->get<bool>();
  json def = old.contains("default") ? old["default"] : json(nullptr);
  bool nullable = false;
  if (lower == "str" || lower == "string")
    f.kind = "string";
  else if (lower == "int" || lower == "integer")
    f.kind = "int";
  else if (lower == "float" || lower == "double")
    f.kind = "float";
  else if (lower == "bool" || lower == "boolean")
    f.kind = "bool";
  else if (lower == "bytes")
    f.kind = "bytes";
  else if (lower.rfind("list", 0) == 0) {
    f.kind = "list";
    f.item_kind = "string";
    f.item_nullable = false;
    std::string tag = get_str("element_wire_tag", ""), type = get_str("element_type", "");
    if (!tag.empty() || !type.empty()) {
      f.item_kind = "ref";
      f.item_ref = type;
      f.item_wire_tag = tag;
    }
  } else if (lower.rfind("dict", 0) == 0 || lower.rfind("map", 0) == 0) {
    f.kind = "map";
    f.key_kind = "string";
    f.value_kind = "string";
    f.value_nullable = false;
  } else if (lower.rfind("optional", 0) == 0) {
    f.kind = "string";
    nullable = true;
  } else {
    f.kind = "ref";
    f.ref_name = type_str;
    f.wire_tag = get_str("wire_tag", "");
  }
  f.nullable = nullable;
  if (!def.is_null()) {
    f.default_kind = "value";
    f.default_value = def;
  } else if (!f.required) {
    if (f.kind == "list")
      f.default_kind = "empty_list";
    else if (f.kind == "map")
      f.default_kind = "empty_map";
    else if (nullable)
      f.default_kind = "null";
  }
  return f;
}

Status parse_field(const json& j, const std::string& path, const ManifestLimits& limits,
                   FieldSchema& f) {
  if (!j.is_object()) {
    return Status(StatusCode::kInvalidArgument,
                  "manifest: " + path + ": expected an object, got " + type_name(j));
  }
  Reader r(j, path, limits);
  ASTER_RETURN_IF_ERROR(r.string("name", f.name, /*required=*/true));
  ASTER_RETURN_IF_ERROR(r.string("kind", f.kind, /*required=*/true));
  ASTER_RETURN_IF_ERROR(one_of(r, "kind", f.kind, kFieldKinds));
  ASTER_RETURN_IF_ERROR(r.boolean("nullable", f.nullable));
  ASTER_RETURN_IF_ERROR(r.boolean("required", f.required));
  if (const json* d = r.find("default_value")) f.default_value = *d;
  ASTER_RETURN_IF_ERROR(r.string("default_kind", f.default_kind));
  ASTER_RETURN_IF_ERROR(one_of(r, "default_kind", f.default_kind, kDefaultKinds));
  ASTER_RETURN_IF_ERROR(r.opt_string("ref_name", f.ref_name));
  ASTER_RETURN_IF_ERROR(r.opt_string("wire_tag", f.wire_tag));
  if (const json* e = r.find("enum_values"); e && !e->is_null()) {
    if (!e->is_array()) {
      return r.error("enum_values", std::string("expected an array, got ") + type_name(*e));
    }
    for (size_t i = 0; i < e->size(); ++i) {
      const json& v = (*e)[i];
      if (!(v.is_string() || v.is_number() || v.is_boolean())) {
        return r.error("enum_values[" + std::to_string(i) + "]",
                       std::string("expected a string or number, got ") + type_name(v));
      }
    }
    f.enum_values = *e;
  }
  ASTER_RETURN_IF_ERROR(r.opt_string("item_kind", f.item_kind));
  ASTER_RETURN_IF_ERROR(check_kind(r, "item_kind", f.item_kind));
  ASTER_RETURN_IF_ERROR(r.opt_string("item_ref", f.item_ref));
  ASTER_RETURN_IF_ERROR(r.opt_string("item_wire_tag", f.item_wire_tag));
  ASTER_RETURN_IF_ERROR(r.opt_boolean("item_nullable", f.item_nullable));
  ASTER_RETURN_IF_ERROR(r.opt_string("key_kind", f.key_kind));
  ASTER_RETURN_IF_ERROR(check_kind(r, "key_kind", f.key_kind));
  ASTER_RETURN_IF_ERROR(r.opt_string("value_kind", f.value_kind));
  ASTER_RETURN_IF_ERROR(check_kind(r, "value_kind", f.value_kind));
  ASTER_RETURN_IF_ERROR(r.opt_string("value_ref", f.value_ref));
  ASTER_RETURN_IF_ERROR(r.opt_boolean("value_nullable", f.value_nullable));
  if (const json* p = r.find("properties"); p && !p->is_null()) {
    if (!p->is_object()) {
      return r.error("properties", std::string("expected an object, got ") + type_name(*p));
    }
    f.properties = *p;
  }
  if (f.kind == "ref" && (!f.wire_tag || f.wire_tag->empty()) &&
      (!f.ref_name || f.ref_name->empty())) {
    return r.error("wire_tag", "a ref field needs wire_tag or ref_name");
  }
  return Status::ok();
}

Status parse_fields(const Reader& r, std::string_view key, bool legacy,
                    const ManifestLimits& limits, std::vector<FieldSchema>& out) {
  Status st;
  const json* arr = r.array(key, st, limits.max_fields_per_method);
  ASTER_RETURN_IF_ERROR(st);
  if (!arr) return Status::ok();
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& fj = (*arr)[i];
    std::string path = r.child(key) + "[" + std::to_string(i) + "]";
    if (legacy && fj.is_object() && !fj.contains("kind")) {
      out.push_back(upgrade_legacy_field(fj));
      continue;
    }
    FieldSchema f;
    ASTER_RETURN_IF_ERROR(parse_field(fj, path, limits, f));
    out.push_back(std::move(f));
  }
  return Status::ok();
}

Status parse_method(const json& j, const std::string& path, bool legacy,
                    const ManifestLimits& limits, MethodDescriptor& m) {
  if (!j.is_object()) {
    return Status(StatusCode::kInvalidArgument,
                  "manifest: " + path + ": expected an object, got " + type_name(j));
  }
  Reader r(j, path, limits);
  ASTER_RETURN_IF_ERROR(r.string("name", m.name, /*required=*/true));
  if (m.name.empty()) return r.error("name", "empty method name");
  ASTER_RETURN_IF_ERROR(r.string("pattern", m.pattern));
  static constexpr std::array<std::string_view, 4> kPatterns = {"unary", "server_stream",
                                                                "client_stream", "bidi_stream"};
  ASTER_RETURN_IF_ERROR(one_of(r, "pattern", m.pattern, kPatterns));
  ASTER_RETURN_IF_ERROR(r.string("request_type", m.request_type));
  ASTER_RETURN_IF_ERROR(r.string("response_type", m.response_type));
  ASTER_RETURN_IF_ERROR(r.string("request_wire_tag", m.request_wire_tag));
  ASTER_RETURN_IF_ERROR(r.string("response_wire_tag", m.response_wire_tag));
  if (const json* t = r.find("timeout"); t && !t->is_null()) {
    if (!t->is_number())
      return r.error("timeout", std::string("expected a number, got ") + type_name(*t));
    double d = t->get<double>();
    if (!std::isfinite(d) || d < 0)
      return r.error("timeout", "expected a finite, non-negative number");
    m.timeout = d;
  }
  ASTER_RETURN_IF_ERROR(r.boolean("idempotent", m.idempotent));
  ASTER_RETURN_IF_ERROR(parse_fields(r, "fields", legacy, limits, m.fields));
  ASTER_RETURN_IF_ERROR(parse_fields(r, "response_fields", legacy, limits, m.response_fields));
  return Status::ok();
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status parse_object(const json& j, const std::string& path, const ManifestLimits& limits,
                    ContractManifest& m) {
  if (!j.is_object()) {
    return Status(StatusCode::kInvalidArgument,
                  "manifest: " + path + ": expected an object, got " + type_name(j));
  }
  Reader r(j, path, limits);
  bool legacy = !r.find("v") || r.find("v")->is_null();
  ASTER_RETURN_IF_ERROR(r.integer("v", m.v, 0, 1'000'000));
  if (m.v != 1) return r.error("v", "unsupported field schema version " + std::to_string(m.v));
  ASTER_RETURN_IF_ERROR(r.string("service", m.service, /*required=*/true));
  if (m.service.empty()) return r.error("service", "empty service name");
  int64_t version = 1;
  ASTER_RETURN_IF_ERROR(r.integer("version", version, std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int32_t>::max()));
  m.version = static_cast<int32_t>(version);
  ASTER_RETURN_IF_ERROR(r.string("contract_id", m.contract_id, /*required=*/true));
  if (m.contract_id.size() != 64 || !is_lower_hex(m.contract_id)) {
    return r.error("contract_id", "expected 64 lowercase hex digits");
  }
  ASTER_RETURN_IF_ERROR(r.string("canonical_encoding", m.canonical_encoding));
  constexpr int64_t kMaxCount = int64_t{1} << 40;
  ASTER_RETURN_IF_ERROR(r.integer("type_count", m.type_count, 0, kMaxCount));
  Status st;
  if (const json* hashes = r.array("type_hashes", st, limits.max_type_hashes)) {
    for (size_t i = 0; i < hashes->size(); ++i) {
      const json& h = (*hashes)[i];
      std::string key = "type_hashes[" + std::to_string(i) + "]";
      if (!h.is_string() || h.get_ref<const std::string&>().size() != 64 ||
          !is_lower_hex(h.get_ref<const std::string&>())) {
        return r.error(key, "expected 64 lowercase hex digits");
      }
      m.type_hashes.push_back(h.get<std::string>());
    }
  }
  ASTER_RETURN_IF_ERROR(st);
  ASTER_RETURN_IF_ERROR(r.integer("method_count", m.method_count, 0, kMaxCount));
  if (const json* methods = r.array("methods", st, limits.max_methods)) {
    for (size_t i = 0; i < methods->size(); ++i) {
      MethodDescriptor md;
      ASTER_RETURN_IF_ERROR(parse_method(
          (*methods)[i], r.child("methods") + "[" + std::to_string(i) + "]", legacy, limits, md));
      m.methods.push_back(std::move(md));
    }
  }
  ASTER_RETURN_IF_ERROR(st);
  if (const json* modes = r.array("serialization_modes", st, 16)) {
    static constexpr std::array<const char*, 4> kModeNames = {"xlang", "native", "row", "json"};
    for (size_t i = 0; i < modes->size(); ++i) {
      const json& mj = (*modes)[i];
      std::string key = "serialization_modes[" + std::to_string(i) + "]";
      if (mj.is_string()) {
        m.serialization_modes.push_back(mj.get<std::string>());
      } else if (mj.is_number_unsigned() && mj.get<uint64_t>() < kModeNames.size()) {
        m.serialization_modes.push_back(kModeNames[mj.get<uint64_t>()]);  // contract gen form
      } else {
        return r.error(key, "expected a mode name or 0..3, got " + mj.dump());
      }
    }
  }
  ASTER_RETURN_IF_ERROR(st);
  ASTER_RETURN_IF_ERROR(r.string("scoped", m.scoped));
  if (m.scoped == "stream") m.scoped = "session";  // legacy alias (0.1.2 decorators.py)
  if (m.scoped != "shared" && m.scoped != "session") {
    return r.error("scoped", "expected \"shared\" or \"session\", got \"" + m.scoped + "\"");
  }
  ASTER_RETURN_IF_ERROR(r.boolean("deprecated", m.deprecated));
  ASTER_RETURN_IF_ERROR(r.opt_string("semver", m.semver));
  ASTER_RETURN_IF_ERROR(r.opt_string("vcs_revision", m.vcs_revision));
  ASTER_RETURN_IF_ERROR(r.opt_string("vcs_tag", m.vcs_tag));
  ASTER_RETURN_IF_ERROR(r.opt_string("vcs_url", m.vcs_url));
  ASTER_RETURN_IF_ERROR(r.opt_string("changelog", m.changelog));
  ASTER_RETURN_IF_ERROR(r.string("published_by", m.published_by));
  ASTER_RETURN_IF_ERROR(r.integer("published_at_epoch_ms", m.published_at_epoch_ms,
                                  std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max()));
  return Status::ok();
}

Result<json> parse_json(std::string_view text, const ManifestLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status(StatusCode::kInvalidArgument,
                  "manifest: larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  ASTER_RETURN_IF_ERROR(check_depth(text, limits.max_depth));
  // nlohmann throws even with allow_exceptions=false for some inputs (out_of_range 406 on a
  // number overflow such as 1e400), so parse with exceptions and turn them into a Status.
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return Status(StatusCode::kInvalidArgument, "manifest: invalid JSON at byte offset " +
                                                    std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {
    return Status(StatusCode::kInvalidArgument, std::string("manifest: invalid JSON: ") + e.what());
  }
}

}  // namespace

Result<ContractManifest> parse_manifest(std::string_view json_text, const ManifestLimits& limits) {
  auto j = parse_json(json_text, limits);
  ASTER_RETURN_IF_ERROR(j);
  ContractManifest m;
  ASTER_RETURN_IF_ERROR(parse_object(*j, "$", limits, m));
  return m;
}

Result<std::vector<ContractManifest>> parse_manifest_file(std::string_view json_text,
                                                          const ManifestLimits& limits) {
  auto j = parse_json(json_text, limits);
  ASTER_RETURN_IF_ERROR(j);
  std::vector<ContractManifest> out;
  if (j->is_array()) {
    for (size_t i = 0; i < j->size(); ++i) {
      ContractManifest m;
      ASTER_RETURN_IF_ERROR(parse_object((*j)[i], "$[" + std::to_string(i) + "]", limits, m));
      out.push_back(std::move(m));
    }
    return out;
  }
  ContractManifest m;
  ASTER_RETURN_IF_ERROR(parse_object(*j, "$", limits, m));
  out.push_back(std::move(m));
  return out;
}

}  // namespace aster::contract
