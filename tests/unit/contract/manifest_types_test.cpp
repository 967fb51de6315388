// ManifestTypes: manifest field schemas (+ canonical TypeDefs) → codec type descriptions.
#include "aster/contract/manifest_types.hpp"

#include <gtest/gtest.h>

#include "aster/codec/fory.hpp"
#include "aster/contract/contract.hpp"
#include "aster/contract/identity.hpp"
#include "runtime_desc.hpp"

namespace aster::contract {
namespace {

using CK = codec::TypeKind;

ContractManifest manifest_from(const std::string& methods_json) {
  auto m = parse_manifest(R"({"v":1,"service":"S","contract_id":")" + std::string(64, 'a') +
                          R"(","methods":)" + methods_json + "}");
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m.is_ok() ? *m : ContractManifest{};
}

TEST(ManifestTypes, RecursiveSchemasResolve) {
  // A manifest may describe types that refer to each other (a hostile one, or a future
  // producer): definitions are two-phase, so this terminates and yields a usable type.
  auto m = manifest_from(R"([
    {"name":"a","request_type":"A","request_wire_tag":"p/A","response_type":"B",
     "response_wire_tag":"p/B",
     "fields":[{"name":"b","kind":"ref","nullable":true,"wire_tag":"p/B","ref_name":"B"}],
     "response_fields":[{"name":"a","kind":"ref","nullable":true,"wire_tag":"p/A"},
                        {"name":"n","kind":"int"}]}])");
  ManifestTypes types({m}, {});
  auto a = types.find_type("A");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  const auto* desc = (*a)->struct_type;
  ASSERT_NE(desc, nullptr);
  EXPECT_EQ(desc->fields()[0].type->unwrapped().struct_type->tag(), "p/B");
  auto v =
      Value::make_struct("p/A", {{"b", Value::make_struct("p/B", {{"a", nullptr}, {"n", 5}})}});
  auto bytes = codec::fory_encode_value(v, **a);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  auto back = codec::fory_decode_value(*bytes, **a);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
}

TEST(ManifestTypes, MissingSchemasAreNamed) {
  auto m = manifest_from(R"([
    {"name":"a","request_type":"A","request_wire_tag":"p/A",
     "fields":[{"name":"inner","kind":"ref","wire_tag":"p/Inner","ref_name":"Inner"},
               {"name":"colors","kind":"list","item_kind":"enum","item_ref":"Color"}]}])");
  ManifestTypes types({m}, {});
  auto a = types.find_type("A");
  ASSERT_FALSE(a.is_ok());
  EXPECT_EQ(a.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(a.status().message(),
            "p/A.inner: no description of type 'p/Inner': the manifest describes only request "
            "and response types; nested ones are in the contract's type blobs "
            "(types/<hash>.bin), and none were given");
  EXPECT_FALSE(types.find_type("A").is_ok());  // not half-defined after the first failure
  auto nope = types.find_type("Nope");
  ASSERT_FALSE(nope.is_ok());
  EXPECT_NE(nope.status().message().find("'Nope'"), std::string::npos);
}

TEST(ManifestTypes, EnumMembersComeFromAnyFieldNamingThem) {
  auto m = manifest_from(R"([
    {"name":"a","request_type":"A","request_wire_tag":"p/A",
     "fields":[{"name":"colors","kind":"list","item_kind":"enum","item_ref":"Color"}],
     "response_type":"B","response_wire_tag":"p/B",
     "response_fields":[{"name":"c","kind":"enum","ref_name":"Color","enum_values":[1,2,3]}]}])");
  ManifestTypes types({m}, {});
  auto a = types.find_type("p/A");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  const auto& item = *(*a)->struct_type->fields()[0].type->element;
  ASSERT_EQ(item.kind, CK::kEnum);
  EXPECT_EQ(item.enum_type->members(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST(ManifestTypes, TypeDefsDescribeNestedStructsAndSets) {
  using testing::make_struct;
  using testing::scalar;
  using testing::set_of;
  auto inner = make_struct("p", "Inner", {{"tags", set_of(scalar(CK::kString))}});
  auto outer = make_struct("p", "Outer", {{"inner", testing::ref(*inner)}});
  auto a = build_contract_artifacts(ServiceDesc("S").method(
      method_desc("m", MethodPattern::kUnary, testing::ref(*outer), testing::ref(*outer))));
  ASSERT_TRUE(a.is_ok());
  std::vector<TypeBlob> defs;
  for (const auto& t : a->types) defs.push_back({t.hash, t.type_def});
  ManifestTypes types({a->manifest}, defs);
  auto t = types.find_type("Outer");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  const auto& inner_desc = *(*t)->struct_type->fields()[0].type->struct_type;
  EXPECT_EQ(inner_desc.tag(), "p/Inner");
  EXPECT_EQ(inner_desc.fields()[0].type->kind, CK::kSet);  // the manifest alone says "string"
}

}  // namespace
}  // namespace aster::contract
