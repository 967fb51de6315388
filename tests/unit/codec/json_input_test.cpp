// Hostile or mistaken JSON input (issue 13 point 6): every refusal names where and why.
#include <gtest/gtest.h>

#include <string>

#include "aster/codec/json.hpp"

namespace {

using aster::Value;
using aster::codec::EnumDesc;
using aster::codec::json_decode_value;
using aster::codec::json_encode_value;
using aster::codec::StructDesc;
using aster::codec::TypeDesc;
using aster::codec::TypeKind;
using aster::codec::WireName;

struct Fixture {
  EnumDesc named{WireName{"p", "Color"}, {"RED", "GREEN"}};
  EnumDesc by_value{WireName{"", "Side"}, {"1", "2", "5"}, {"1", "2", "5"}};
  EnumDesc by_text{WireName{"", "Status"}, {"draft", "sent"}, {"\"draft\"", "\"sent\""}};
  StructDesc s{WireName{"p", "S"},
               {{"name", TypeDesc::scalar(TypeKind::kString)},
                {"ratio", TypeDesc::scalar(TypeKind::kFloat64)},
                {"small", TypeDesc::scalar(TypeKind::kInt32)},
                {"big", TypeDesc::scalar(TypeKind::kUint64)},
                {"color", TypeDesc::enum_ref(named)},
                {"side", TypeDesc::enum_ref(by_value)},
                {"status", TypeDesc::enum_ref(by_text)},
                {"any", TypeDesc::scalar(TypeKind::kAny)}}};
  std::shared_ptr<const TypeDesc> type = TypeDesc::struct_ref(s);

  std::string error(std::string_view json) {
    auto v = json_decode_value(json, *type);
    return v.is_ok() ? "OK" : v.status().message();
  }
  Value field(std::string_view json, std::string_view name) {
    auto v = json_decode_value(json, *type);
    EXPECT_TRUE(v.is_ok()) << v.status().to_string();
    return v.is_ok() ? *v->as_struct().find(name) : Value();
  }
};

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

TEST(JsonInput, InvalidUtf8GivesTheByteOffset) {
  Fixture f;
  EXPECT_EQ(f.error("{\"name\": \"ab\xff\"}"),
            "json decode: not valid JSON: invalid UTF-8 at byte 12");
  EXPECT_EQ(f.error("{\"name\": \"ab\"  "), "json decode: not valid JSON: unexpected end of input at byte 15");
  // Offsets count the caller's bytes even after a bare NaN earlier in the text.
  EXPECT_EQ(f.error("{\"ratio\": NaN, \"name\": \"\xc3\"}"),
            "json decode: not valid JSON: invalid UTF-8 at byte 25");
}

TEST(JsonInput, BareNonFiniteOnlyForFloats) {
  Fixture f;
  EXPECT_EQ(f.error("{\"name\": NaN}"), "json decode: S.name: expected string, got bare NaN");
  EXPECT_EQ(f.error("{\"name\": -Infinity}"),
            "json decode: S.name: expected string, got bare -Infinity");
  EXPECT_TRUE(std::isnan(f.field("{\"ratio\": NaN}", "ratio").as_float()));
  EXPECT_EQ(f.field("{\"ratio\": -Infinity}", "ratio").as_float(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(f.field("{\"name\": \"NaN\"}", "name").as_string(), "NaN");  // quoted: a string
  EXPECT_TRUE(std::isnan(f.field("{\"any\": NaN}", "any").as_float()));
}

TEST(JsonInput, IntegersOutOfRangeNameTheField) {
  Fixture f;
  EXPECT_EQ(f.error("{\"small\": 2147483648}"),
            "json decode: S.small: 2147483648 is out of range for int32 (-2147483648..2147483647)");
  EXPECT_TRUE(contains(f.error("{\"big\": -1}"), "S.big: -1 is out of range for uint64"));
  EXPECT_EQ(f.field("{\"big\": 18446744073709551615}", "big").as_uint(), UINT64_MAX);
  EXPECT_TRUE(contains(f.error("{\"small\": 1e400}"), "beyond the range of a double"));
  EXPECT_TRUE(contains(f.error("{\"small\": 99999999999999999999999}"), "S.small: expected an integer"));
}

TEST(JsonInput, DuplicateKeysAreRefused) {
  Fixture f;
  EXPECT_EQ(f.error("{\"name\": \"a\", \"name\": \"b\"}"), "json decode: duplicate key \"name\"");
  EXPECT_EQ(f.error("{\"any\": {\"k\": 1, \"k\": 2}}"), "json decode: duplicate key \"k\"");
  EXPECT_EQ(f.error("[{\"a\": 1}, {\"a\": 2}]").find("duplicate"), std::string::npos);
}

TEST(JsonInput, EnumsByNameValueOrOrdinalAndErrorsListTheMembers) {
  Fixture f;
  EXPECT_EQ(f.field("{\"color\": \"GREEN\"}", "color").as_string(), "GREEN");
  EXPECT_EQ(f.field("{\"color\": 1}", "color").as_string(), "GREEN");  // ordinal
  EXPECT_EQ(f.error("{\"color\": \"BLUE\"}"),
            "json decode: S.color: \"BLUE\" is not a member of enum p/Color (expected one of: "
            "\"RED\", \"GREEN\")");
  // Known by value: numbers are values, never ordinals (5 is HOLD, 2 is not ordinal 2).
  EXPECT_EQ(f.field("{\"side\": 5}", "side").as_string(), "5");
  EXPECT_EQ(f.field("{\"side\": 2}", "side").as_string(), "2");
  EXPECT_EQ(f.error("{\"side\": 0}"),
            "json decode: S.side: 0 is not a member of enum Side (expected one of: 1, 2, 5)");
  // String values: by value, or by ordinal (no number can be a value).
  EXPECT_EQ(f.field("{\"status\": \"sent\"}", "status").as_string(), "sent");
  EXPECT_EQ(f.field("{\"status\": 0}", "status").as_string(), "draft");
  EXPECT_TRUE(contains(f.error("{\"status\": \"lost\"}"), "(expected one of: \"draft\", \"sent\")"));
  // Output: names as strings, values as Python's json.dumps writes them.
  auto v = json_decode_value("{\"color\": 1, \"side\": 5, \"status\": \"sent\"}", *f.type);
  ASSERT_TRUE(v.is_ok());
  auto out = json_encode_value(*v, f.type.get());
  ASSERT_TRUE(out.is_ok());
  EXPECT_TRUE(contains(*out, "\"color\":\"GREEN\",\"side\":5,\"status\":\"sent\"")) << *out;
}

TEST(JsonInput, DepthIsBoundedBeforeParsing) {
  Fixture f;
  // Ten million unclosed brackets: refused by the first pass at the first level too deep.
  std::string deep(10'000'000, '[');
  EXPECT_EQ(f.error(deep), "json decode: at byte 64: nesting deeper than 64 levels");
  EXPECT_EQ(f.error(std::string(20, '{')).find("nesting"), std::string::npos);  // just invalid
}

}  // namespace
