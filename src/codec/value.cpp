// aster::Value operations.
#include "aster/codec/value.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace aster {

const Value* Value::Struct::find(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (n == name) return &v;
  return nullptr;
}

Value::List& Value::mutable_list() {
  auto& p = std::get<std::shared_ptr<List>>(v_);
  if (p.use_count() > 1) p = std::make_shared<List>(*p);
  return *p;
}
Value::Map& Value::mutable_map() {
  auto& p = std::get<std::shared_ptr<Map>>(v_);
  if (p.use_count() > 1) p = std::make_shared<Map>(*p);
  return *p;
}
Value::Struct& Value::mutable_struct() {
  auto& p = std::get<std::shared_ptr<Struct>>(v_);
  if (p.use_count() > 1) p = std::make_shared<Struct>(*p);
  return *p;
}

bool operator==(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kNull: return true;
    case K::kBool: return a.as_bool() == b.as_bool();
    case K::kInt: return a.as_int() == b.as_int();
    case K::kUint: return a.as_uint() == b.as_uint();
    case K::kFloat: {
      double x = a.as_float(), y = b.as_float();
      if (std::isnan(x) && std::isnan(y)) return true;
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case K::kString: return a.as_string() == b.as_string();
    case K::kBytes: return a.as_bytes() == b.as_bytes();
    case K::kList: return a.as_list() == b.as_list();
    case K::kMap: return a.as_map() == b.as_map();
    case K::kStruct: return a.as_struct() == b.as_struct();
  }
  return false;
}

namespace {
void quote(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}
void debug(std::string& out, const Value& v) {
  using K = Value::Kind;
  switch (v.kind()) {
    case K::kNull: out += "null"; return;
    case K::kBool: out += v.as_bool() ? "true" : "false"; return;
    case K::kInt: out += std::to_string(v.as_int()); return;
    case K::kUint: out += std::to_string(v.as_uint()); return;
    case K::kFloat: out += fmt::format("{}", v.as_float()); return;
    case K::kString: quote(out, v.as_string()); return;
    case K::kBytes: {
      out += "b'";
      for (uint8_t b : v.as_bytes()) out += fmt::format("{:02x}", b);
      out += "'";
      return;
    }
    case K::kList: {
      out += '[';
      bool first = true;
      for (const Value& e : v.as_list()) {
        if (!first) out += ',';
        first = false;
        debug(out, e);
      }
      out += ']';
      return;
    }
    case K::kMap: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.as_map()) {
        if (!first) out += ',';
        first = false;
        debug(out, k);
        out += ':';
        debug(out, e);
      }
      out += '}';
      return;
    }
    case K::kStruct: {
      const auto& s = v.as_struct();
      out += s.type;
      out += '{';
      bool first = true;
      for (const auto& [n, e] : s.fields) {
        if (!first) out += ',';
        first = false;
        out += n;
        out += '=';
        debug(out, e);
      }
      out += '}';
      return;
    }
  }
}
}  // namespace

std::string Value::debug_string() const {
  std::string out;
  debug(out, *this);
  return out;
}

}  // namespace aster
