#include "contract_export.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "aster/contract/definitions.hpp"
#include "aster/contract/identity.hpp"

namespace aster::cli {
namespace {

// aster-rpc@0972ac9:cli/aster_cli/contract.py `_METHOD_KEY_ORDER`, `_FIELD_KEY_ORDER`.
constexpr std::array<std::string_view, 10> kMethodKeyOrder = {
    "name",    "pattern",    "request_type", "response_type",  "request_wire_tag",
    "response_wire_tag", "timeout", "idempotent", "fields", "response_fields"};
constexpr std::array<std::string_view, 4> kFieldKeyOrder = {"name", "type", "required", "default"};

// Python's `d.get("name", "")` as a sort key; only strings compare with each other there.
Result<std::string> name_key(const OrderedJson& item, const std::string& where) {
  if (!item.is_object()) return Status(StatusCode::kInvalidArgument, where + ": not an object");
  auto it = item.find("name");
  if (it == item.end()) return std::string();
  if (!it->is_string()) {
    return Status(StatusCode::kInvalidArgument, where + ".name: not a string");
  }
  return it->get<std::string>();
}

// `sorted(items, key=lambda x: x.get("name", ""))`: stable, by code point (UTF-8 byte order is
// code point order).
Result<std::vector<OrderedJson>> sorted_by_name(const OrderedJson& items,
                                                const std::string& where) {
  std::vector<std::pair<std::string, const OrderedJson*>> keyed;
  for (size_t i = 0; i < items.size(); ++i) {
    ASTER_ASSIGN_OR_RETURN(std::string key,
                           name_key(items[i], where + "[" + std::to_string(i) + "]"));
    keyed.emplace_back(std::move(key), &items[i]);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<OrderedJson> out;
  for (const auto& [key, item] : keyed) out.push_back(*item);
  return out;
}

// The fixed keys first (when present), then the others sorted (`_ordered_field`).
template <size_t N>
OrderedJson ordered_keys(const OrderedJson& in, const std::array<std::string_view, N>& order) {
  OrderedJson out = OrderedJson::object();
  for (std::string_view k : order) {
    if (auto it = in.find(std::string(k)); it != in.end()) out[std::string(k)] = *it;
  }
  std::vector<std::string> rest;
  for (const auto& [k, v] : in.items()) {
    if (!out.contains(k)) rest.push_back(k);
  }
  std::sort(rest.begin(), rest.end());
  for (const auto& k : rest) out[k] = in.at(k);
  return out;
}

Result<OrderedJson> ordered_method(const OrderedJson& m, const std::string& where) {
  OrderedJson copy = m;
  for (const char* list : {"fields", "response_fields"}) {
    auto it = copy.find(list);
    if (it == copy.end() || !it->is_array()) continue;  // 0.1.2 copies non-lists as they are
    ASTER_ASSIGN_OR_RETURN(auto fields, sorted_by_name(*it, where + "." + list));
    OrderedJson ordered = OrderedJson::array();
    for (const auto& f : fields) ordered.push_back(ordered_keys(f, kFieldKeyOrder));
    *it = std::move(ordered);
  }
  return ordered_keys(copy, kMethodKeyOrder);
}

// `sorted(list)`: strings by code point, or numbers by value; Python refuses mixed lists.
Result<OrderedJson> sorted_list(const OrderedJson& list, const std::string& where) {
  if (!list.is_array()) return Status(StatusCode::kInvalidArgument, where + ": not a list");
  std::vector<OrderedJson> items(list.begin(), list.end());
  const bool strings = std::all_of(items.begin(), items.end(),
                                   [](const auto& v) { return v.is_string(); });
  const bool numbers = std::all_of(items.begin(), items.end(), [](const auto& v) {
    return v.is_number() || v.is_boolean();
  });
  if (!strings && !numbers) {
    return Status(StatusCode::kInvalidArgument,
                  where + ": mixes strings and other values (0.1.2 cannot sort it either)");
  }
  std::stable_sort(items.begin(), items.end(), [strings](const auto& a, const auto& b) {
    if (strings) {
      return a.template get_ref<const std::string&>() < b.template get_ref<const std::string&>();
    }
    return a.template get<double>() < b.template get<double>();
  });
  return OrderedJson(items);
}

OrderedJson get_or(const OrderedJson& m, const char* key, OrderedJson fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : *it;
}

}  // namespace

Result<std::vector<OrderedJson>> manifests_in_file(std::string_view text) {
  OrderedJson doc;
  try {
    doc = OrderedJson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    return Status(StatusCode::kInvalidArgument, "not JSON: " + what);
  }
  if (doc.is_array()) return std::vector<OrderedJson>(doc.begin(), doc.end());
  return std::vector<OrderedJson>{std::move(doc)};
}

Result<OrderedJson> export_form(const OrderedJson& manifest) {
  if (!manifest.is_object()) {
    return Status(StatusCode::kInvalidArgument, "$: a manifest is a JSON object");
  }
  auto service = manifest.find("service");
  if (service == manifest.end() || !service->is_string()) {
    return Status(StatusCode::kInvalidArgument, "$.service: missing or not a string");
  }
  auto id = manifest.find("contract_id");
  if (id == manifest.end() || !id->is_string()) {
    return Status(StatusCode::kInvalidArgument, "$.contract_id: missing or not a string");
  }
  const OrderedJson methods = get_or(manifest, "methods", OrderedJson::array());
  if (!methods.is_array()) {
    return Status(StatusCode::kInvalidArgument, "$.methods: not a list");
  }
  ASTER_ASSIGN_OR_RETURN(auto sorted_methods, sorted_by_name(methods, "$.methods"));
  OrderedJson ordered = OrderedJson::array();
  for (size_t i = 0; i < sorted_methods.size(); ++i) {
    const std::string where = "$.methods[" + std::to_string(i) + "]";
    ASTER_ASSIGN_OR_RETURN(OrderedJson m, ordered_method(sorted_methods[i], where));
    ordered.push_back(std::move(m));
  }
  ASTER_ASSIGN_OR_RETURN(
      OrderedJson modes,
      sorted_list(get_or(manifest, "serialization_modes", OrderedJson::array({"xlang"})),
                  "$.serialization_modes"));
  ASTER_ASSIGN_OR_RETURN(
      OrderedJson hashes,
      sorted_list(get_or(manifest, "type_hashes", OrderedJson::array()), "$.type_hashes"));
  const size_t method_total = ordered.size();
  OrderedJson out = OrderedJson::object();
  out["aster_contract"] = "1";
  out["service"] = *service;
  out["version"] = get_or(manifest, "version", 1);
  out["contract_id"] = "blake3:" + id->get<std::string>();
  out["canonical_encoding"] = get_or(manifest, "canonical_encoding", "fory-xlang/0.15");
  out["scoped"] = get_or(manifest, "scoped", "shared");
  out["serialization_modes"] = std::move(modes);
  out["methods"] = std::move(ordered);
  out["type_hashes"] = std::move(hashes);
  out["type_count"] = get_or(manifest, "type_count", 0);
  out["method_count"] = get_or(manifest, "method_count", method_total);
  out["semver"] = get_or(manifest, "semver", nullptr);
  out["deprecated"] = get_or(manifest, "deprecated", false);
  return out;
}

std::string export_text(const OrderedJson& export_doc) {
  // nlohmann's dump(2) is json.dumps(indent=2)'s layout: ", " never appears, ": " after keys,
  // "[]"/"{}" for empty containers, floats in repr's shortest form, control characters as
  // \uXXXX in lower case; ensure_ascii=false keeps UTF-8 as it is.
  return export_doc.dump(2, ' ', /*ensure_ascii=*/false) + "\n";
}

Result<std::string> export_file_name(const std::string& service) {
  if (service.empty() || service == "." || service == ".." ||
      service.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    return Status(StatusCode::kInvalidArgument,
                  "service name '" + service + "' cannot be a file name");
  }
  return service + ".aster.json";
}

namespace {
Result<RecomputedId> recompute(const OrderedJson& doc,
                               const std::vector<contract::TypeBlob>& blobs);
}  // namespace

Result<RecomputedId> recompute_contract_id(const OrderedJson& doc,
                                           const std::vector<contract::TypeBlob>& blobs) {
  try {
    return recompute(doc, blobs);
  } catch (const nlohmann::json::exception& e) {
    // A key of the wrong JSON type (nlohmann's value() throws): "type must be string, …".
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    return Status(StatusCode::kInvalidArgument, what);
  }
}

namespace {
Result<RecomputedId> recompute(const OrderedJson& doc,
                               const std::vector<contract::TypeBlob>& blobs) {
  using contract::MethodDef;
  using contract::TypeHash;
  if (!doc.is_object() || !doc.contains("aster_contract")) {
    return Status(StatusCode::kInvalidArgument, "not an .aster.json file (no aster_contract)");
  }
  // Type blobs by the names a manifest's wire tag may give them: "package/name" (an explicit
  // @wire_type) or "package.name" (0.1.2's default tag, module.qualname).
  std::map<std::string, TypeHash> by_tag;
  for (const auto& b : blobs) {
    by_tag[b.type_def.package + "/" + b.type_def.name] = b.hash;
    by_tag[b.type_def.package + "." + b.type_def.name] = b.hash;
  }
  const std::map<std::string, std::string> primitives = {
      {"int", "int64"}, {"float", "float64"}, {"str", "string"}, {"bool", "bool"},
      {"bytes", "binary"}};
  auto type_hash = [&](const OrderedJson& m, const char* tag_key, const char* type_key,
                       const std::string& where) -> Result<std::vector<uint8_t>> {
    const std::string tag = m.value(tag_key, "");
    const std::string type = m.value(type_key, "");
    if (!tag.empty()) {
      auto it = by_tag.find(tag);
      if (it == by_tag.end()) {
        return Status(StatusCode::kNotFound,
                      where + ": no type blob for " + tag_key + " '" + tag + "'");
      }
      return std::vector<uint8_t>(it->second.begin(), it->second.end());
    }
    if (auto p = primitives.find(type); p != primitives.end()) {
      const TypeHash h = contract::primitive_stand_in_hash(p->second);
      return std::vector<uint8_t>(h.begin(), h.end());
    }
    return std::vector<uint8_t>(32, 0);  // 0.1.2's hash for a type it could not resolve
  };
  contract::ServiceContract c;
  if (!doc.contains("service") || !doc["service"].is_string()) {
    return Status(StatusCode::kInvalidArgument, "$.service: missing or not a string");
  }
  c.name = doc["service"].get<std::string>();
  if (!doc.value("version", OrderedJson(1)).is_number_integer()) {
    return Status(StatusCode::kInvalidArgument, "$.version: not an integer");
  }
  c.version = doc.value("version", 1);
  const std::string scoped = doc.value("scoped", "shared");
  c.scoped = scoped == "session" || scoped == "stream" ? contract::ScopeKind::kSession
                                                       : contract::ScopeKind::kShared;
  std::vector<std::string> modes;
  for (const auto& mode : doc.value("serialization_modes", OrderedJson::array())) {
    // `aster contract gen` writes the modes as numbers (SerializationMode values); the contract
    // holds their lower-case names.
    static const std::array<const char*, 4> kNames = {"xlang", "native", "row", "json"};
    if (mode.is_number_integer() && mode.get<int64_t>() >= 0 && mode.get<int64_t>() < 4) {
      modes.push_back(kNames[mode.get<size_t>()]);
    } else if (mode.is_string()) {
      modes.push_back(mode.get<std::string>());
    } else {
      return Status(StatusCode::kInvalidArgument, "$.serialization_modes: " + mode.dump());
    }
  }
  if (modes.empty()) modes = {"xlang"};
  const OrderedJson methods = doc.value("methods", OrderedJson::array());
  if (!methods.is_array()) return Status(StatusCode::kInvalidArgument, "$.methods: not a list");
  for (size_t i = 0; i < methods.size(); ++i) {
    const std::string where = "$.methods[" + std::to_string(i) + "]";
    const OrderedJson& m = methods[i];
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string()) {
      return Status(StatusCode::kInvalidArgument, where + ": not a method");
    }
    MethodDef d;
    d.name = m["name"].get<std::string>();
    // 0.1.2 `from_service_info`: an unknown pattern string is UNARY.
    d.pattern = contract::parse_method_pattern(m.value("pattern", "unary"))
                    .value_or(contract::MethodPattern::kUnary);
    ASTER_ASSIGN_OR_RETURN(d.request_type,
                           type_hash(m, "request_wire_tag", "request_type", where));
    ASTER_ASSIGN_OR_RETURN(d.response_type,
                           type_hash(m, "response_wire_tag", "response_type", where));
    d.idempotent = m.value("idempotent", false);
    const OrderedJson timeout = m.value("timeout", OrderedJson());
    d.default_timeout = timeout.is_number() ? timeout.get<double>() : 0.0;
    c.methods.push_back(std::move(d));
  }
  // Methods are written in NFC code point order by the canonical writer itself.
  const std::string claimed = [&] {
    std::string id = doc.value("contract_id", "");
    return id.rfind("blake3:", 0) == 0 ? id.substr(7) : id;
  }();
  RecomputedId out;
  c.serialization_modes = modes;
  out.contract_id = contract::contract_id(c);
  if (out.contract_id == claimed) {
    out.matches_claim = true;
    return out;
  }
  // What the export cannot say, tried in turn: the declaration order of several serialization
  // modes (the export sorts them), and 0.1.2's zero hash for response types it reads as strings
  // (a module with `from __future__ import annotations`, docs/compatibility.md).
  std::vector<std::string> order = modes;
  std::sort(order.begin(), order.end());
  for (bool zero_responses : {false, true}) {
    contract::ServiceContract variant = c;
    if (zero_responses) {
      for (auto& m : variant.methods) m.response_type.assign(32, 0);
    }
    std::vector<std::string> perm = order;
    do {
      variant.serialization_modes = perm;
      if (contract::contract_id(variant) == claimed) {
        out.matches_claim = true;
        out.variant = zero_responses ? "response types hashed as zero (0.1.2 with postponed "
                                       "annotations)"
                                     : "";
        if (perm != modes) {
          out.variant += std::string(out.variant.empty() ? "" : "; ") +
                         "serialization modes declared in another order";
        }
        return out;
      }
    } while (std::next_permutation(perm.begin(), perm.end()) && perm.size() <= 5);
  }
  return out;
}

}  // namespace

}  // namespace aster::cli
