#include "aster/contract/definitions.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "aster/contract/canonical_writer.hpp"

namespace aster::contract {

std::string_view method_pattern_name(MethodPattern pattern) {
  switch (pattern) {
    case MethodPattern::kUnary:
      return "unary";
    case MethodPattern::kServerStream:
      return "server_stream";
    case MethodPattern::kClientStream:
      return "client_stream";
    case MethodPattern::kBidiStream:
      return "bidi_stream";
  }
  return "unary";
}

std::optional<MethodPattern> parse_method_pattern(std::string_view name) {
  if (name == "unary") return MethodPattern::kUnary;
  if (name == "server_stream") return MethodPattern::kServerStream;
  if (name == "client_stream") return MethodPattern::kClientStream;
  if (name == "bidi_stream") return MethodPattern::kBidiStream;
  return std::nullopt;
}

std::string_view scope_kind_name(ScopeKind scope) {
  return scope == ScopeKind::kSession ? "session" : "shared";
}

namespace {

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (static_cast<uint8_t>(c) & 0x80) == 0; });
}

// Decodes UTF-8 to code points; ill-formed sequences decode byte-wise (they only affect ordering
// of names that 0.1.2 could not have produced, since Python strings are always valid).
std::u32string code_points(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    uint8_t b = s[i];
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(b);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void write_field_def(CanonicalWriter& w, const FieldDef& f) {
  w.write_zigzag_i32(f.id);
  w.write_string(f.name);
  w.write_uvarint(static_cast<uint64_t>(f.type_kind));
  w.write_string(f.type_primitive);
  w.write_bytes(f.type_ref);
  w.write_string(f.self_ref_name);
  w.write_bool(f.optional);
  w.write_bool(f.ref_tracked);
  w.write_uvarint(static_cast<uint64_t>(f.container));
  w.write_uvarint(static_cast<uint64_t>(f.container_key_kind));
  w.write_string(f.container_key_primitive);
  w.write_bytes(f.container_key_ref);
}

void write_type_def(CanonicalWriter& w, const TypeDef& td) {
  w.write_uvarint(static_cast<uint64_t>(td.kind));
  w.write_string(td.package);
  w.write_string(td.name);

  std::vector<const FieldDef*> fields;
  for (const auto& f : td.fields) fields.push_back(&f);
  std::stable_sort(fields.begin(), fields.end(),
                   [](const FieldDef* a, const FieldDef* b) { return a->id < b->id; });
  w.write_list_header(fields.size());
  for (const auto* f : fields) write_field_def(w, *f);

  std::vector<const EnumValueDef*> values;
  for (const auto& v : td.enum_values) values.push_back(&v);
  std::stable_sort(values.begin(), values.end(), [](const EnumValueDef* a, const EnumValueDef* b) {
    return a->value < b->value;
  });
  w.write_list_header(values.size());
  for (const auto* v : values) {
    w.write_string(v->name);
    w.write_zigzag_i32(v->value);
  }

  std::vector<const UnionVariantDef*> variants;
  for (const auto& v : td.union_variants) variants.push_back(&v);
  std::stable_sort(
      variants.begin(), variants.end(),
      [](const UnionVariantDef* a, const UnionVariantDef* b) { return a->id < b->id; });
  w.write_list_header(variants.size());
  for (const auto* v : variants) {
    w.write_string(v->name);
    w.write_zigzag_i32(v->id);
    w.write_bytes(v->type_ref);
  }
}

void write_capability(CanonicalWriter& w, const CapabilityRequirement& cap) {
  w.write_uvarint(static_cast<uint64_t>(cap.kind));
  std::vector<std::string> roles;
  for (const auto& r : cap.roles) roles.push_back(nfc_normalize(r));
  std::stable_sort(roles.begin(), roles.end(), [](const std::string& a, const std::string& b) {
    return code_points(a) < code_points(b);
  });
  w.write_list_header(roles.size());
  for (const auto& r : roles) w.write_string(r);
}

void write_optional_capability(CanonicalWriter& w,
                               const std::optional<CapabilityRequirement>& cap) {
  if (!cap) {
    w.write_optional_absent();
    return;
  }
  w.write_optional_present();
  write_capability(w, *cap);
}

void write_method_def(CanonicalWriter& w, const MethodDef& m) {
  w.write_string(m.name);
  w.write_uvarint(static_cast<uint64_t>(m.pattern));
  w.write_bytes(m.request_type);
  w.write_bytes(m.response_type);
  w.write_bool(m.idempotent);
  w.write_float64(m.default_timeout);
  write_optional_capability(w, m.requires_);
}

}  // namespace

std::string nfc_normalize(std::string_view utf8) {
  if (is_ascii(utf8)) return std::string(utf8);  // ASCII is always NFC
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) return std::string(utf8);
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString out = nfc->normalize(in, err);
  if (U_FAILURE(err)) return std::string(utf8);
  std::string result;
  out.toUTF8String(result);
  return result;
}

bool nfc_codepoint_less(std::string_view a, std::string_view b) {
  if (is_ascii(a) && is_ascii(b)) return a < b;  // byte order == code point order for ASCII
  return code_points(nfc_normalize(a)) < code_points(nfc_normalize(b));
}

std::vector<uint8_t> canonical_bytes(const TypeDef& type_def) {
  CanonicalWriter w;
  write_type_def(w, type_def);
  return std::move(w).take();
}

std::vector<uint8_t> canonical_bytes(const MethodDef& method) {
  CanonicalWriter w;
  write_method_def(w, method);
  return std::move(w).take();
}

std::vector<uint8_t> canonical_bytes(const ServiceContract& sc) {
  CanonicalWriter w;
  w.write_string(sc.name);
  w.write_zigzag_i32(sc.version);
  std::vector<const MethodDef*> methods;
  for (const auto& m : sc.methods) methods.push_back(&m);
  std::stable_sort(methods.begin(), methods.end(), [](const MethodDef* a, const MethodDef* b) {
    return nfc_codepoint_less(a->name, b->name);
  });
  w.write_list_header(methods.size());
  for (const auto* m : methods) write_method_def(w, *m);
  w.write_list_header(sc.serialization_modes.size());
  for (const auto& mode : sc.serialization_modes) w.write_string(mode);
  w.write_uvarint(static_cast<uint64_t>(sc.scoped));
  write_optional_capability(w, sc.requires_);
  return std::move(w).take();
}

}  // namespace aster::contract
