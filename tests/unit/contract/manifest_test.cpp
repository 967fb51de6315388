// manifest.json: writer format (0.1.2 runtime writer), parser round trip, hostile input.
#include "aster/contract/manifest.hpp"

#include <gtest/gtest.h>

namespace aster::contract {
namespace {

ContractManifest sample() {
  ContractManifest m;
  m.service = "Echo";
  m.contract_id = std::string(64, 'a');
  m.type_count = 1;
  m.type_hashes = {std::string(64, 'b')};
  m.method_count = 1;
  MethodDescriptor md;
  md.name = "echo";
  md.request_type = "EchoRequest";
  md.response_type = "EchoResponse";
  md.request_wire_tag = "demo/EchoRequest";
  md.response_wire_tag = "demo/EchoResponse";
  md.timeout = 2.5;
  FieldSchema f;
  f.name = "message";
  f.kind = "string";
  f.default_kind = "value";
  f.default_value = "";
  md.fields.push_back(f);
  FieldSchema l;
  l.name = "tags";
  l.kind = "list";
  l.default_kind = "empty_list";
  l.item_kind = "string";
  l.item_nullable = false;
  md.response_fields.push_back(l);
  m.methods.push_back(md);
  m.serialization_modes = {"xlang"};
  return m;
}

TEST(Manifest, WriterMatchesPythonLayout) {
  std::string text = write_manifest_json(sample());
  // Keys in dataclass order, indent 2, no trailing newline (json.dumps(asdict(m), indent=2)).
  EXPECT_EQ(text.substr(0, 39), "{\n  \"v\": 1,\n  \"service\": \"Echo\",\n  \"ver");
  EXPECT_NE(text.find("\"timeout\": 2.5,\n"), std::string::npos);
  EXPECT_NE(text.find("\"default_kind\": \"empty_list\",\n          \"item_kind\": \"string\",\n"
                      "          \"item_nullable\": false,\n          \"properties\": {}"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.back(), '}');
  EXPECT_NE(text.find("\"semver\": null"), std::string::npos);
}

TEST(Manifest, WriterEscapesNonAsciiLikePython) {
  auto m = sample();
  m.service = "caf\u00e9";
  EXPECT_NE(write_manifest_json(m).find("\"caf\\u00e9\""), std::string::npos);
}

TEST(Manifest, WriterSurvivesInvalidUtf8FromCpp) {
  auto m = sample();
  m.service = "bad\xff";
  m.methods[0].fields[0].default_value = "x\xfe";
  std::string text = write_manifest_json(m);
  EXPECT_NE(text.find("\"bad\\ufffd\""), std::string::npos) << text;
}

TEST(Manifest, RoundTrip) {
  auto m = sample();
  auto parsed = parse_manifest(write_manifest_json(m));
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, m);
}

TEST(Manifest, AcceptsContractGenForms) {
  std::string text = R"([{"service":"A","version":2,"contract_id":")" + std::string(64, 'c') +
                     R"(","serialization_modes":[0, 3],"scoped":"stream","methods":[]}])";
  auto parsed = parse_manifest_file(text);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].serialization_modes, (std::vector<std::string>{"xlang", "json"}));
  EXPECT_EQ((*parsed)[0].scoped, "session");
}

TEST(Manifest, UpgradesLegacyFields) {
  std::string text = R"({"service":"T","contract_id":")" + std::string(64, 'd') +
                     R"(","methods":[{"name":"m","fields":[{"name":"xs","type":"list[str]",
                       "required":false},{"name":"who","type":"Person","wire_tag":"p/Person"}]}]})";
  auto parsed = parse_manifest(text);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  const auto& f = parsed->methods[0].fields;
  EXPECT_EQ(f[0].kind, "list");
  EXPECT_EQ(f[0].default_kind, "empty_list");
  EXPECT_EQ(f[1].kind, "ref");
  EXPECT_EQ(f[1].wire_tag, "p/Person");
}

std::string error_of(const std::string& text) {
  auto parsed = parse_manifest(text);
  EXPECT_FALSE(parsed.is_ok()) << text;
  return parsed.is_ok() ? "" : parsed.status().message();
}

const std::string kId = std::string(64, 'e');

TEST(Manifest, ErrorsNameTheJsonPath) {
  EXPECT_EQ(error_of(R"({"v":1,"contract_id":")" + kId + "\"}"), "manifest: $.service: missing");
  EXPECT_EQ(error_of(R"({"v":1,"service":5,"contract_id":")" + kId + "\"}"),
            "manifest: $.service: expected a string, got integer");
  EXPECT_EQ(error_of(R"({"v":1,"service":"S","contract_id":"xyz"})"),
            "manifest: $.contract_id: expected 64 lowercase hex digits");
  EXPECT_EQ(error_of(R"({"v":1,"service":"S","version":99999999999,"contract_id":")" + kId + "\"}"),
            "manifest: $.version: integer out of range: 99999999999");
  EXPECT_EQ(error_of(R"({"v":1,"service":"S","version":1e300,"contract_id":")" + kId + "\"}"),
            "manifest: $.version: expected an integer, got 1e+300");
  EXPECT_EQ(
      error_of(
          R"({"v":1,"service":"S","contract_id":")" + kId +
          R"(","methods":[{"name":"a"},{"name":"b","fields":[{"name":"x","kind":"integer"}]}]})"),
      "manifest: $.methods[1].fields[0].kind: expected one of "
      "string|int|float|bool|bytes|list|map|ref|enum, got \"integer\"");
  EXPECT_EQ(error_of(R"({"v":1,"service":"S","contract_id":")" + kId +
                     R"(","methods":[{"name":"a","pattern":"unary","timeout":"5"}]})"),
            "manifest: $.methods[0].timeout: expected a number, got string");
  EXPECT_EQ(error_of(R"({"v":1,"service":"S","contract_id":")" + kId +
                     R"(","methods":[{"name":"a","fields":[{"name":"r","kind":"ref"}]}]})"),
            "manifest: $.methods[0].fields[0].wire_tag: a ref field needs wire_tag or ref_name");
  EXPECT_EQ(error_of("[1,2]"), "manifest: $: expected an object, got array");
}

TEST(Manifest, RejectsHugeAndNegativeNumbers) {
  auto base = [](const std::string& extra) {
    return R"({"v":1,"service":"S","contract_id":")" + kId + "\"," + extra + "}";
  };
  // nlohmann throws out_of_range even in no-exception mode here; we turn it into a Status.
  EXPECT_NE(error_of(base(R"("methods":[{"name":"m","timeout":1e400}])"))
                .find("number overflow parsing '1e400'"),
            std::string::npos);
  EXPECT_EQ(error_of(base(R"("type_count":-1)")),
            "manifest: $.type_count: integer out of range: -1");
  EXPECT_EQ(error_of(base(R"("version":"1")")),
            "manifest: $.version: expected an integer, got string");
  EXPECT_EQ(error_of(base(R"("method_count":18446744073709551616)")),
            "manifest: $.method_count: expected an integer, got 1.8446744073709552e+19");
  EXPECT_EQ(error_of(base(R"("type_hashes":["00"])")),
            "manifest: $.type_hashes[0]: expected 64 lowercase hex digits");
  EXPECT_EQ(error_of(base(R"("serialization_modes":[7])")),
            "manifest: $.serialization_modes[0]: expected a mode name or 0..3, got 7");
}

TEST(Manifest, RejectsHostileShapes) {
  EXPECT_NE(error_of(std::string(100000, '[')).find("nesting deeper than 32"), std::string::npos);
  EXPECT_NE(error_of("{\"v\":1,").find("invalid JSON at byte offset"), std::string::npos);
  ManifestLimits small;
  small.max_methods = 1;
  auto parsed = parse_manifest(
      R"({"service":"S","contract_id":")" + kId + R"(","methods":[{"name":"a"},{"name":"b"}]})",
      small);
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(parsed.status().message(), "manifest: $.methods: more than 1 entries");
}

}  // namespace
}  // namespace aster::contract
