// JSON mode (see aster/codec/json.hpp and docs/codec.md for the value rules).
#include "aster/codec/json.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <chrono>
#include <cmath>
#include <cstring>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace aster::codec {
namespace {

// A missing field takes the declared C++ member initializer when there is one (the Python
// dataclass default: a JSON request without "level" gets "info", as 0.1.2's producer would),
// else the zero value of its type.
Value field_default(const FieldDesc& f) {
  if (f.access != nullptr && f.access->default_value != nullptr) return f.access->default_value();
  return default_value(*f.type);
}

}  // namespace

namespace {

using K = Value::Kind;

// ---- writing (Python json.dumps, ensure_ascii=True, separators=(",", ":")) ------------------

void put_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xf0) {
      n = 4;
      cp = c & 0x07;
    } else if (c >= 0xe0) {
      n = 3;
      cp = c & 0x0f;
    } else if (c >= 0xc0) {
      n = 2;
      cp = c & 0x1f;
    }
    if (i + n > s.size()) n = 1;
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      out += fmt::format("\\u{:04x}", cp);
    }
  }
  out += '"';
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out;
  put_escaped(out, s);
  return out;
}

namespace {

// Python's float repr: shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16,
// otherwise d.ddde+XX; integral values keep ".0".
void put_python_float(std::string& out, double x) {
  if (std::isnan(x)) return put_escaped(out, "NaN");
  if (std::isinf(x)) return put_escaped(out, x > 0 ? "Infinity" : "-Infinity");
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  bool neg = sci[0] == '-';
  if (neg) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char ch : sci.substr(0, e))
    if (ch != '.') digits += ch;
  int exp = std::stoi(std::string(sci.substr(e + 1)));
  if (neg) out += '-';
  if (exp >= -5 + 1 && exp < 16) {  // Python: fixed if -4 <= exp < 16
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exp - 1), '0');
      out += digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out += digits;
      out.append(static_cast<size_t>(exp + 1) - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(exp) + 1);
      out += '.';
      out += digits.substr(static_cast<size_t>(exp) + 1);
    }
  } else {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
  }
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const Bytes& b) {
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == b.size()) {
    uint32_t v = b[i] << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == b.size()) {
    uint32_t v = (b[i] << 16) | (b[i + 1] << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool unbase64(std::string_view s, Bytes& out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = val(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return true;
}

std::string iso_date(int64_t days) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  return fmt::format("{:04d}-{:02d}-{:02d}", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()));
}
std::string iso_timestamp(int64_t micros) {
  using namespace std::chrono;
  int64_t secs = micros / 1'000'000, us = micros % 1'000'000;
  if (us < 0) {
    us += 1'000'000;
    --secs;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  return fmt::format("{}T{:02d}:{:02d}:{:02d}.{:06d}Z", iso_date(days), sod / 3600, sod / 60 % 60,
                     sod % 60, us);
}

class JsonWriter {
 public:
  std::string out;
  std::string error;

  // By name; an enum known only by its Python values prints the value, as json.dumps does.
  void enum_member(const EnumDesc& e, size_t ordinal) {
    if (ordinal < e.json_values().size()) out += e.json_values()[ordinal];
    else put_escaped(out, e.members()[ordinal]);
  }

  void value(const Value& v, const TypeDesc* t) {
    if (!error.empty()) return;
    if (t && t->kind == TypeKind::kOptional) t = t->element.get();
    if (t && t->kind == TypeKind::kAny) t = nullptr;
    switch (v.kind()) {
      case K::kNull: out += "null"; return;
      case K::kBool: out += v.as_bool() ? "true" : "false"; return;
      case K::kInt:
        if (t && t->kind == TypeKind::kDate) return put_escaped(out, iso_date(v.as_int()));
        if (t && t->kind == TypeKind::kTimestamp) return put_escaped(out, iso_timestamp(v.as_int()));
        if (t && (t->kind == TypeKind::kFloat32 || t->kind == TypeKind::kFloat64))
          return put_python_float(out, static_cast<double>(v.as_int()));
        if (t && t->kind == TypeKind::kEnum) {
          auto i = v.as_int();
          if (i >= 0 && i < static_cast<int64_t>(t->enum_type->members().size()))
            return enum_member(*t->enum_type, static_cast<size_t>(i));
        }
        out += std::to_string(v.as_int());
        return;
      case K::kUint: out += std::to_string(v.as_uint()); return;
      case K::kFloat: return put_python_float(out, v.as_float());
      case K::kString:
        if (t && t->kind == TypeKind::kEnum) {
          int i = t->enum_type->find_member(v.as_string());
          if (i >= 0) return enum_member(*t->enum_type, static_cast<size_t>(i));
        }
        return put_escaped(out, v.as_string());
      case K::kBytes: return put_escaped(out, base64(v.as_bytes()));
      case K::kList: {
        const TypeDesc* et = t && (t->kind == TypeKind::kList || t->kind == TypeKind::kSet)
                                 ? t->element.get()
                                 : nullptr;
        out += '[';
        bool first = true;
        for (const Value& e : v.as_list()) {
          if (!first) out += ',';
          first = false;
          value(e, et);
        }
        out += ']';
        return;
      }
      case K::kMap: {
        const TypeDesc* kt = t && t->kind == TypeKind::kMap ? t->key.get() : nullptr;
        const TypeDesc* vt = t && t->kind == TypeKind::kMap ? t->element.get() : nullptr;
        out += '{';
        bool first = true;
        for (const auto& [k, e] : v.as_map()) {
          if (!first) out += ',';
          first = false;
          if (k.kind() == K::kString) {
            put_escaped(out, k.as_string());
          } else {  // Python json.dumps turns int/float/bool/None keys into their JSON text
            JsonWriter kw;
            kw.value(k, kt);
            std::string text = kw.out;
            if (!text.empty() && text[0] == '"') out += text;
            else put_escaped(out, text);
          }
          out += ':';
          value(e, vt);
        }
        out += '}';
        return;
      }
      case K::kStruct: {
        const Value::Struct& s = v.as_struct();
        const StructDesc* d = t && t->kind == TypeKind::kStruct ? t->struct_type : nullptr;
        out += '{';
        bool first = true;
        if (d) {  // declaration order, every field (asdict)
          for (const FieldDesc& f : d->fields()) {
            if (!first) out += ',';
            first = false;
            put_escaped(out, f.name);
            out += ':';
            const Value* fv = s.find(f.name);
            if (fv) value(*fv, f.type.get());
            else value(field_default(f), f.type.get());
          }
        } else {
          for (const auto& [n, e] : s.fields) {
            if (!first) out += ',';
            first = false;
            put_escaped(out, n);
            out += ':';
            value(e, nullptr);
          }
        }
        out += '}';
        return;
      }
    }
  }
};

// ---- reading ------------------------------------------------------------------------------

// Python's json.loads accepts the bare tokens NaN, Infinity, -Infinity (0.1.2 writes NaN bare);
// nlohmann does not. One pass over the text, before any parsing, does three things:
//  - bare non-finite tokens become marker strings (kBareNaN…) that only float and untyped
//    positions accept, so `"name": NaN` is refused for a string field instead of becoming
//    the text "NaN"; `shifts` maps offsets in the rewritten text back to the caller's;
//  - nesting depth is bounded here, so 10 million unclosed `[` fail at once, before nlohmann
//    builds anything;
//  - nothing else changes, so parse errors still point at the caller's bytes.
constexpr std::string_view kBareNaN = "\\u0000aster:NaN";
constexpr std::string_view kBareInf = "\\u0000aster:Infinity";
constexpr std::string_view kBareNegInf = "\\u0000aster:-Infinity";

struct PreparedJson {
  std::string text;
  std::vector<std::pair<size_t, size_t>> shifts;  // (offset in text, bytes added so far)
  Status status;
  size_t original_offset(size_t offset) const {
    size_t added = 0;
    for (const auto& [at, total] : shifts)
      if (at <= offset) added = total;
    return offset >= added ? offset - added : 0;
  }
};

PreparedJson prepare_json(std::string_view in, int max_depth) {
  PreparedJson p;
  p.text.reserve(in.size());
  bool in_string = false;
  int depth = 0;
  size_t added = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (in_string) {
      p.text += c;
      if (c == '\\' && i + 1 < in.size()) p.text += in[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      p.text += c;
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        p.status = Status(StatusCode::kInvalidArgument,
                          fmt::format("json decode: at byte {}: nesting deeper than {} levels", i,
                                      max_depth));
        return p;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
    auto replace = [&](std::string_view token, std::string_view marker) {
      if (in.substr(i, token.size()) != token) return false;
      p.text += '"';
      p.text += marker;
      p.text += '"';
      added += marker.size() + 2 - token.size();
      p.shifts.emplace_back(p.text.size(), added);
      i += token.size() - 1;
      return true;
    };
    if (replace("NaN", kBareNaN) || replace("-Infinity", kBareNegInf) ||
        replace("Infinity", kBareInf))
      continue;
    p.text += c;
  }
  return p;
}

// The marker strings after JSON unescaping (what a parsed string holds).
std::string unescaped_marker(std::string_view marker) {
  return std::string(1, '\0') + std::string(marker.substr(6));
}
const std::string& bare_nan() {
  static const std::string s = unescaped_marker(kBareNaN);
  return s;
}
const std::string& bare_inf() {
  static const std::string s = unescaped_marker(kBareInf);
  return s;
}
const std::string& bare_neg_inf() {
  static const std::string s = unescaped_marker(kBareNegInf);
  return s;
}
bool is_bare_non_finite(const std::string& s) {
  return !s.empty() && s[0] == '\0' && (s == bare_nan() || s == bare_inf() || s == bare_neg_inf());
}
std::string_view bare_token(const std::string& s) {
  if (s == bare_nan()) return "NaN";
  if (s == bare_inf()) return "Infinity";
  return "-Infinity";
}

using Json = nlohmann::ordered_json;

class JsonReader {
 public:
  Status status;
  int depth = 0;

  Value read(const Json& j, const TypeDesc& t, const std::string& path) {
    if (!status.is_ok()) return Value();
    if (++depth > kMaxDecodeDepth) {
      fail(path, "nesting too deep");
      return Value();
    }
    Value v = read_inner(j, t, path);
    --depth;
    return v;
  }

 private:
  void fail(const std::string& path, const std::string& msg,
            StatusCode code = StatusCode::kInvalidArgument) {
    if (status.is_ok()) {
      status = Status(code, "json decode: " + (path.empty() ? "" : path + ": ") + msg);
    }
  }

  // An integer of `kind`'s range (dates/timestamps: any int64); out of range names the field.
  Value integer(const Json& j, const std::string& path, TypeKind kind = TypeKind::kInt64) {
    Value v;
    if (j.is_number_unsigned()) {
      v = Value(j.get<uint64_t>());
    } else if (j.is_number_integer()) {
      v = Value(j.get<int64_t>());
    } else if (j.is_number_float()) {  // Python accepts 1.0 for an int field only by accident
      double d = j.get<double>();
      if (std::trunc(d) == d && std::fabs(d) < 9.2e18) v = Value(static_cast<int64_t>(d));
    }
    if (v.is_null()) {
      fail(path, "expected an integer, got " + describe(j));
      return Value();
    }
    auto [lo, hi] = integer_range(kind);
    bool in_range = is_unsigned64(kind)  ? v.kind() == K::kUint || v.as_int() >= 0
                    : v.kind() == K::kUint ? false
                                           : v.as_int() >= lo && v.as_int() <= hi;
    if (!in_range) {
      fail(path, fmt::format("{} is out of range for {} ({}..{})", j.dump(),
                             type_kind_name(kind), lo, is_unsigned64(kind) ? "18446744073709551615"
                                                                           : std::to_string(hi)));
      return Value();
    }
    return v;
  }

  static bool is_unsigned64(TypeKind k) {
    return k == TypeKind::kUint64 || k == TypeKind::kFixedUint64 || k == TypeKind::kTaggedUint64;
  }
  // [lo, hi] of a signed view; the 64-bit unsigned kinds report [0, INT64_MAX] and are
  // special-cased above.
  static std::pair<int64_t, int64_t> integer_range(TypeKind k) {
    switch (k) {
      case TypeKind::kInt8: return {INT8_MIN, INT8_MAX};
      case TypeKind::kInt16: return {INT16_MIN, INT16_MAX};
      case TypeKind::kInt32:
      case TypeKind::kFixedInt32: return {INT32_MIN, INT32_MAX};
      case TypeKind::kUint8: return {0, UINT8_MAX};
      case TypeKind::kUint16: return {0, UINT16_MAX};
      case TypeKind::kUint32:
      case TypeKind::kFixedUint32: return {0, UINT32_MAX};
      case TypeKind::kUint64:
      case TypeKind::kFixedUint64:
      case TypeKind::kTaggedUint64: return {0, INT64_MAX};
      default: return {INT64_MIN, INT64_MAX};
    }
  }

  static std::string describe(const Json& j) {
    if (j.is_string() && is_bare_non_finite(j.get_ref<const std::string&>()))
      return "bare " + std::string(bare_token(j.get_ref<const std::string&>()));
    std::string text = j.is_structured()
                           ? std::string(j.type_name())
                           : j.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
  }

  Value read_inner(const Json& j, const TypeDesc& t, const std::string& path) {
    if (t.kind == TypeKind::kOptional) {
      if (j.is_null()) return Value();
      return read(j, *t.element, path);
    }
    if (t.kind == TypeKind::kAny) return untyped(j, path);
    if (j.is_null()) {
      // 0.1.2 passes None through to the dataclass; an encoder then fails. Reject here.
      fail(path, "null for a non-Optional " + std::string(type_kind_name(t.kind)));
      return Value();
    }
    switch (t.kind) {
      case TypeKind::kBool:
        if (!j.is_boolean()) break;
        return Value(j.get<bool>());
      case TypeKind::kFloat32:
      case TypeKind::kFloat64:
        if (j.is_number()) return Value(j.get<double>());
        if (j.is_string()) {
          const auto& s = j.get_ref<const std::string&>();
          if (s == "NaN" || s == bare_nan()) return Value(std::numeric_limits<double>::quiet_NaN());
          if (s == "Infinity" || s == bare_inf())
            return Value(std::numeric_limits<double>::infinity());
          if (s == "-Infinity" || s == bare_neg_inf())
            return Value(-std::numeric_limits<double>::infinity());
        }
        break;
      case TypeKind::kString:
        if (!j.is_string() || is_bare_non_finite(j.get_ref<const std::string&>())) break;
        return Value(j.get<std::string>());
      case TypeKind::kBytes: {
        if (!j.is_string() || is_bare_non_finite(j.get_ref<const std::string&>())) break;
        Bytes b;
        if (!unbase64(j.get_ref<const std::string&>(), b)) {
          fail(path, "bytes must be a base64 string");
          return Value();
        }
        return Value(std::move(b));
      }
      case TypeKind::kDate:
      case TypeKind::kTimestamp:
        if (j.is_number_integer()) return integer(j, path);
        if (j.is_string() && !is_bare_non_finite(j.get_ref<const std::string&>()))
          return parse_time(j.get_ref<const std::string&>(), t.kind, path);
        break;
      case TypeKind::kList:
      case TypeKind::kSet: {
        if (!j.is_array()) break;
        Value::List items;
        items.reserve(j.size());
        size_t i = 0;
        for (const Json& e : j) items.push_back(read(e, *t.element, path + "[" + std::to_string(i++) + "]"));
        return Value(std::move(items));
      }
      case TypeKind::kMap: {
        if (!j.is_object()) break;
        Value::Map entries;
        for (auto it = j.begin(); it != j.end(); ++it) {
          Value key = map_key(it.key(), *t.key, path);
          entries.emplace_back(std::move(key), read(it.value(), *t.element, path + "." + it.key()));
        }
        return Value(std::move(entries));
      }
      case TypeKind::kEnum: return enumeration(j, *t.enum_type, path);
      case TypeKind::kStruct: {
        if (!j.is_object()) break;
        return structure(j, *t.struct_type, path);
      }
      default:  // integers
        return integer(j, path, t.kind);
    }
    fail(path, "expected " + std::string(type_kind_name(t.kind)) + ", got " + describe(j));
    return Value();
  }

  // An enum member by name (or, for an enum known by its Python values, by value), or by
  // ordinal where that cannot be mistaken for a value (docs/codec.md).
  Value enumeration(const Json& j, const EnumDesc& e, const std::string& path) {
    const auto& members = e.members();
    const auto& values = e.json_values();
    bool numeric_values = false;
    for (const auto& v : values) numeric_values |= !v.empty() && v[0] != '"';
    if (j.is_string()) {
      int i = e.find_member(j.get_ref<const std::string&>());
      if (i >= 0) return Value(members[static_cast<size_t>(i)]);
      // A C++ enum declared with Python values (ASTER_ENUMERATOR_VALUE): "circle" → CIRCLE.
      std::string text = json_string(j.get_ref<const std::string&>());
      for (size_t k = 0; k < values.size(); ++k)
        if (values[k] == text) return Value(members[k]);
    } else if (j.is_number_integer() || j.is_number_float()) {
      if (!values.empty()) {
        std::string text = j.dump();
        for (size_t i = 0; i < values.size(); ++i)
          if (values[i] == text) return Value(members[i]);
      }
      if (!numeric_values && j.is_number_integer()) {
        int64_t i = j.is_number_unsigned() && j.get<uint64_t>() > INT64_MAX ? -1
                                                                            : j.get<int64_t>();
        if (i >= 0 && i < static_cast<int64_t>(members.size()))
          return Value(members[static_cast<size_t>(i)]);
      }
    }
    std::string valid;
    const auto& shown = values.empty() ? members : values;
    for (size_t i = 0; i < shown.size() && i < 32; ++i)
      valid += (i ? ", " : "") + (values.empty() ? "\"" + shown[i] + "\"" : shown[i]);
    if (shown.size() > 32) valid += ", ...";
    fail(path, describe(j) + " is not a member of enum " + e.wire_name().tag() +
                   " (expected one of: " + valid + ")");
    return Value();
  }

  Value map_key(const std::string& key, const TypeDesc& kt, const std::string& path) {
    const TypeDesc& t = kt.unwrapped();
    if (t.kind == TypeKind::kString || t.kind == TypeKind::kAny) return Value(key);
    Json parsed = Json::parse(prepare_json(key, 1).text, nullptr, false);
    if (parsed.is_discarded()) parsed = Json(key);
    return read(parsed, t, path + "<key>");
  }

  Value structure(const Json& j, const StructDesc& d, const std::string& path) {
    std::vector<std::string> unexpected;
    for (auto it = j.begin(); it != j.end(); ++it)
      if (d.find_field(it.key()) < 0) unexpected.push_back(it.key());
    std::string here = path.empty() ? d.wire_name().name : path;
    if (!unexpected.empty()) {
      // Same shape as 0.1.2's ContractViolationError message (json_codec._dict_to_dataclass).
      std::string names, expected;
      for (size_t i = 0; i < unexpected.size() && i < 5; ++i)
        names += (i ? ", '" : "'") + unexpected[i].substr(0, 80) + "'";
      std::vector<std::string> fields;
      for (const FieldDesc& f : d.fields()) fields.push_back(f.name);
      std::sort(fields.begin(), fields.end());
      for (size_t i = 0; i < fields.size(); ++i) expected += (i ? ", '" : "'") + fields[i] + "'";
      fail(here, "unexpected JSON field(s) [" + names + "] (expected: [" + expected + "])",
           StatusCode::kContractViolation);
      return Value();
    }
    Value::Struct s;
    s.type = d.tag();
    for (const FieldDesc& f : d.fields()) {
      auto it = j.find(f.name);
      if (it == j.end()) s.fields.emplace_back(f.name, field_default(f));
      else s.fields.emplace_back(f.name, read(*it, *f.type, here + "." + f.name));
    }
    return Value(std::move(s));
  }

  Value untyped(const Json& j, const std::string& path) {
    switch (j.type()) {
      case Json::value_t::null: return Value();
      case Json::value_t::boolean: return Value(j.get<bool>());
      case Json::value_t::number_integer: return Value(j.get<int64_t>());
      case Json::value_t::number_unsigned: return Value(j.get<uint64_t>());
      case Json::value_t::number_float: return Value(j.get<double>());
      case Json::value_t::string: {
        const auto& s = j.get_ref<const std::string&>();
        if (s == bare_nan()) return Value(std::numeric_limits<double>::quiet_NaN());
        if (s == bare_inf()) return Value(std::numeric_limits<double>::infinity());
        if (s == bare_neg_inf()) return Value(-std::numeric_limits<double>::infinity());
        return Value(s);
      }
      case Json::value_t::array: {
        Value::List items;
        for (const Json& e : j) items.push_back(read(e, *TypeDesc::scalar(TypeKind::kAny), path));
        return Value(std::move(items));
      }
      case Json::value_t::object: {
        Value::Map m;
        for (auto it = j.begin(); it != j.end(); ++it)
          m.emplace_back(Value(it.key()), read(it.value(), *TypeDesc::scalar(TypeKind::kAny), path));
        return Value(std::move(m));
      }
      default: fail(path, "unsupported JSON value"); return Value();
    }
  }

  Value parse_time(const std::string& s, TypeKind kind, const std::string& path) {
    int y = 0;
    unsigned mo = 0, d = 0, h = 0, mi = 0, se = 0;
    char tail[32] = {0};
    // The date's length comes from the parse, not from "YYYY-MM-DD": years past 9999 (which
    // iso_date writes with five digits) and one-digit months or days are longer or shorter.
    int date_len = 0;
    int n = std::sscanf(s.c_str(), "%d-%u-%u%n", &y, &mo, &d, &date_len);
    if (n != 3) {
      fail(path, "expected an ISO date/time string, got \"" + s + "\"");
      return Value();
    }
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
    if (!ymd.ok()) {
      fail(path, "invalid date \"" + s + "\"");
      return Value();
    }
    int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
    if (kind == TypeKind::kDate) return Value(days);
    int64_t micros = 0;
    if (s.size() > static_cast<size_t>(date_len)) {
      if (std::sscanf(s.c_str() + date_len, "T%u:%u:%u%31s", &h, &mi, &se, tail) < 3 || h > 23 ||
          mi > 59 || se > 60) {
        fail(path, "invalid timestamp \"" + s + "\"");
        return Value();
      }
      std::string_view rest(tail);
      if (!rest.empty() && rest[0] == '.') {
        rest.remove_prefix(1);
        int64_t frac = 0, digits = 0;
        while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
          if (digits < 6) {
            frac = frac * 10 + (rest[0] - '0');
            ++digits;
          }
          rest.remove_prefix(1);
        }
        while (digits++ < 6) frac *= 10;
        micros = frac;
      }
      if (!(rest.empty() || rest == "Z" || rest == "+00:00")) {
        fail(path, "timestamps must be UTC (Z or +00:00): \"" + s + "\"");
        return Value();
      }
    }
    return Value(((days * 86400) + h * 3600 + mi * 60 + se) * 1'000'000 + micros);
  }
};

}  // namespace

Value default_value(const TypeDesc& t) {
  switch (t.kind) {
    case TypeKind::kOptional:
    case TypeKind::kAny: return Value();
    case TypeKind::kBool: return Value(false);
    case TypeKind::kFloat32:
    case TypeKind::kFloat64: return Value(0.0);
    case TypeKind::kString: return Value(std::string());
    case TypeKind::kBytes: return Value(Bytes{});
    case TypeKind::kList:
    case TypeKind::kSet: return Value(Value::List{});
    case TypeKind::kMap: return Value(Value::Map{});
    case TypeKind::kEnum:
      return t.enum_type->members().empty() ? Value() : Value(t.enum_type->members()[0]);
    case TypeKind::kStruct: {
      Value::Struct s;
      s.type = t.struct_type->tag();
      // Recursive types: a nested non-Optional struct default would recurse forever; stop at
      // the first repeat by leaving the field out (encoders then report it missing).
      static thread_local int depth = 0;
      if (depth > 8) return Value(std::move(s));
      ++depth;
      for (const FieldDesc& f : t.struct_type->fields())
        s.fields.emplace_back(f.name, field_default(f));
      --depth;
      return Value(std::move(s));
    }
    default: return Value(int64_t{0});
  }
}

Result<std::string> json_encode_value(const Value& value, const TypeDesc* type) {
  JsonWriter w;
  w.value(value, type);
  if (!w.error.empty()) return Status(StatusCode::kInvalidArgument, w.error);
  return std::move(w.out);
}

Result<Value> json_decode_value(std::string_view json, const TypeDesc& type) {
  PreparedJson prepared = prepare_json(json, kMaxDecodeDepth);
  if (!prepared.status.is_ok()) return prepared.status;
  // Python's json.loads keeps the last of duplicate keys silently; a request built by hand
  // with a repeated key is almost always a mistake, so we refuse it (docs/codec.md).
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto on_event = [&](int /*depth*/, nlohmann::json::parse_event_t event, Json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) keys.emplace_back();
    else if (event == E::object_end && !keys.empty()) keys.pop_back();
    else if (event == E::key && !keys.empty() && duplicate.empty() &&
             !keys.back().insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  Json j;
  try {
    j = Json::parse(prepared.text, on_event, /*allow_exceptions=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 and points at the last character read.
    size_t at = prepared.original_offset(e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    std::string reason = what.find("UTF-8") != std::string::npos ? "invalid UTF-8"
                         : at >= json.size()                     ? "unexpected end of input"
                                                                 : "syntax error";
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("json decode: not valid JSON: {} at byte {}", reason, at));
  } catch (const nlohmann::json::out_of_range& e) {
    // 406: a number literal beyond double's range (Python would read it as inf).
    return Status(StatusCode::kInvalidArgument,
                  "json decode: not valid JSON: a number is beyond the range of a double");
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kInvalidArgument, "json decode: not valid JSON");
  }
  if (!duplicate.empty()) {
    std::string shown = duplicate.size() > 80 ? duplicate.substr(0, 80) + "..." : duplicate;
    JsonWriter w;
    w.value(Value(shown), nullptr);
    return Status(StatusCode::kInvalidArgument, "json decode: duplicate key " + w.out);
  }
  JsonReader r;
  Value v = r.read(j, type, "");
  if (!r.status.is_ok()) return r.status;
  return v;
}

}  // namespace aster::codec
