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

// What 0.1.2 publishes of a datetime, a date or a pyfory.int32 field: ANY in the contract's
// TypeDef, "string" (its fallback) in the manifest. Sent as a string the producer refuses the
// whole message (struct hash), so the type is refused here, naming the field; an Optional
// element (also ANY, but nullable in the manifest) still resolves.
TEST(ManifestTypes, FieldsWhoseWireTypeIsNotPublishedAreRefused) {
  using testing::make_struct;
  using testing::scalar;
  auto timed =
      make_struct("p", "Timed", {{"at", scalar(CK::kTimestamp)}, {"n", scalar(CK::kInt64)}});
  auto small = make_struct("p", "Small", {{"count", scalar(CK::kInt32)}});
  auto dated = make_struct("p", "Dated", {{"days", testing::list_of(scalar(CK::kDate))}});
  auto fine = make_struct(
      "p", "Fine", {{"notes", testing::list_of(testing::optional_of(scalar(CK::kString)))}});
  auto unary = [&](const char* name, const codec::StructDesc& request) {
    return method_desc(name, MethodPattern::kUnary, testing::ref(request), testing::ref(*fine));
  };
  auto a = build_contract_artifacts(ServiceDesc("S")
                                        .method(unary("t", *timed))
                                        .method(unary("s", *small))
                                        .method(unary("d", *dated)));
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  std::vector<TypeBlob> defs;
  for (const auto& t : a->types) defs.push_back({t.hash, t.type_def});
  ManifestTypes types({a->manifest}, defs);
  const std::pair<const char*, std::string> refused[] = {
      {"Timed", "p/Timed.at"}, {"Small", "p/Small.count"}, {"Dated", "p/Dated.days"}};
  for (const auto& [type, field] : refused) {
    auto t = types.find_type(type);
    ASSERT_FALSE(t.is_ok()) << type;
    EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
    const std::string expected =
        field + ": 0.1.2 publishes this field's type neither in the contract (ANY) nor in the "
                "manifest";
    EXPECT_EQ(t.status().message().rfind(expected, 0), 0u) << t.status().message();
  }
  auto f = types.find_type("Fine");
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  const auto& notes = *(*f)->struct_type->fields()[0].type;
  ASSERT_EQ(notes.kind, CK::kList);
  EXPECT_EQ(notes.element->kind, CK::kOptional);
  // The method's description says which type and field stop it.
  auto m = types.method_desc(*types.find_manifest("S", 1), "t");
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("p/Timed.at"), std::string::npos) << m.status().message();
}

// The service as the raw transport needs it (issue 10, point 3): patterns, timeouts and types
// by wire tag, from the manifest alone when the types are flat.
ContractManifest catalog_manifest() {
  auto m = parse_manifest(R"({"v":1,"service":"Catalog","version":2,"contract_id":")" +
                          std::string(64, 'c') + R"(","scoped":"shared","methods":[
    {"name":"greet","pattern":"unary","request_type":"Greeting","response_type":"Reply",
     "request_wire_tag":"demo/Greeting","response_wire_tag":"demo/Reply","timeout":2.5,
     "idempotent":true,
     "fields":[{"name":"name","kind":"string","default_kind":"value","default_value":"anon"},
               {"name":"times","kind":"int","default_kind":"value","default_value":1},
               {"name":"tags","kind":"list","item_kind":"string","default_kind":"empty_list"},
               {"name":"blob","kind":"bytes","default_kind":"value","default_value":"b''"},
               {"name":"raw","kind":"bytes","default_kind":"value","default_value":"b'\\x01'"},
               {"name":"kind","kind":"enum","ref_name":"Kind","enum_values":[1,2,5],
                "default_kind":"value","default_value":5},
               {"name":"note","kind":"string","nullable":true,"default_kind":"value",
                "default_value":null},
               {"name":"must","kind":"int","required":true,"default_kind":"none"}],
     "response_fields":[{"name":"text","kind":"string"}]},
    {"name":"watch","pattern":"server_stream","request_type":"Greeting","response_type":"Reply",
     "request_wire_tag":"demo/Greeting","response_wire_tag":"demo/Reply"},
    {"name":"nested","pattern":"unary","request_type":"Outer","response_type":"Reply",
     "request_wire_tag":"demo/Outer","response_wire_tag":"demo/Reply",
     "fields":[{"name":"inner","kind":"ref","ref_name":"Inner","wire_tag":"demo/Inner"}]}]})");
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m.is_ok() ? *m : ContractManifest{};
}

TEST(ManifestTypes, MethodDescFromTheManifest) {
  ManifestTypes types({catalog_manifest()}, {});
  const ContractManifest* m = types.find_manifest("Catalog", 2);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(types.find_manifest("Catalog", 1), nullptr);
  auto greet = types.method_desc(*m, "greet");
  ASSERT_TRUE(greet.is_ok()) << greet.status().to_string();
  EXPECT_EQ(greet->pattern, MethodPattern::kUnary);
  EXPECT_EQ(greet->request->struct_type->tag(), "demo/Greeting");
  EXPECT_EQ(greet->response->struct_type->tag(), "demo/Reply");
  EXPECT_EQ(greet->timeout_seconds, 2.5);
  EXPECT_TRUE(greet->is_idempotent);
  auto watch = types.method_desc(*m, "watch");
  ASSERT_TRUE(watch.is_ok()) << watch.status().to_string();
  EXPECT_EQ(watch->pattern, MethodPattern::kServerStream);
  auto nope = types.method_desc(*m, "nope");
  EXPECT_EQ(nope.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(nope.status().message(), "Catalog v2 has no method nope");
  // A nested type only the type blobs describe: named, with the method.
  auto nested = types.method_desc(*m, "nested");
  EXPECT_EQ(nested.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(nested.status().message().rfind("Catalog v2.nested request type demo/Outer: ", 0), 0u)
      << nested.status().message();
  // The whole service fails on that method; the raw transport keeps the others callable.
  EXPECT_EQ(types.service_desc("Catalog", 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(types.service_desc("Catalog", 3).status().message(), "no manifest for Catalog v3");
}

// `-> int`, `-> list[Point]`: 0.1.2 names the builtin and gives no wire tag. A scalar is the
// scalar pyfory writes; a container is kAny, and every described struct is registered so that
// its items can be read by the tags they carry.
TEST(ManifestTypes, BuiltinReplyTypesAreScalarsOrAny) {
  ManifestTypes types({manifest_from(R"([
    {"name":"count","pattern":"unary","request_type":"P","response_type":"int",
     "request_wire_tag":"m.P","response_wire_tag":"","fields":[{"name":"x","kind":"int"}]},
    {"name":"all","pattern":"server_stream","request_type":"P","response_type":"list",
     "request_wire_tag":"m.P","response_wire_tag":"","fields":[{"name":"x","kind":"int"}]}])")},
                      {});
  const ContractManifest* m = types.find_manifest("S", 1);
  ASSERT_NE(m, nullptr);
  auto count = types.method_desc(*m, "count");
  ASSERT_TRUE(count.is_ok()) << count.status().to_string();
  EXPECT_EQ(count->response->kind, CK::kInt64);
  auto all = types.method_desc(*m, "all");
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  EXPECT_EQ(all->response->kind, CK::kAny);
  EXPECT_NE(types.registry().find_struct("m/P"), nullptr);
}

TEST(ManifestTypes, RequestsTakeTheDefaultsTheManifestDeclares) {
  ManifestTypes types({catalog_manifest()}, {});
  const ContractManifest& m = *types.find_manifest("Catalog", 2);
  auto v = types.request_from_json(m, "greet", R"({"must": 3})");
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  const Value::Struct& s = v->as_struct();
  EXPECT_EQ(s.find("name")->as_string(), "anon");
  EXPECT_EQ(s.find("times")->as_int(), 1);
  EXPECT_TRUE(s.find("tags")->as_list().empty());
  EXPECT_TRUE(s.find("blob")->as_bytes().empty());
  EXPECT_TRUE(s.find("raw")->as_bytes().empty());  // Python text default: the zero value
  EXPECT_EQ(*s.find("kind"), Value("5"));           // member named by its value, ordinal 2
  EXPECT_TRUE(s.find("note")->is_null());
  EXPECT_EQ(s.find("must")->as_int(), 3);
  // Given fields win; an empty object gets every default.
  auto given = types.request_from_json(m, "greet", R"({"times": 4, "name": "x"})");
  ASSERT_TRUE(given.is_ok()) << given.status().to_string();
  EXPECT_EQ(given->as_struct().find("times")->as_int(), 4);
  EXPECT_EQ(given->as_struct().find("must")->as_int(), 0);  // required, absent: zero
  auto empty = types.request_from_json(m, "greet", " { } ");
  ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
  EXPECT_EQ(empty->as_struct().find("name")->as_string(), "anon");
  // The caller's text is still read strictly.
  EXPECT_FALSE(types.request_from_json(m, "greet", R"({"times": 1, "times": 2})").is_ok());
  EXPECT_FALSE(types.request_from_json(m, "greet", R"({"nope": 1})").is_ok());
  EXPECT_FALSE(types.request_from_json(m, "greet", R"({"name": )").is_ok());
  EXPECT_EQ(types.request_from_json(m, "nope", "{}").status().code(), StatusCode::kNotFound);
}

// An enum default that is not a value is Python's str() of the member (`Mood.CALM`), as 0.1.2
// writes a plain Enum's default and our producer writes every enum default. A string value
// spelled as the member name stands for it; otherwise the field keeps its zero value (the
// first member) instead of failing a call the caller wrote without that field.
TEST(ManifestTypes, EnumDefaultsWrittenAsPythonStrTakeTheirMember) {
  auto m = parse_manifest(R"({"v":1,"service":"Canvas","version":3,"contract_id":")" +
                          std::string(64, 'd') + R"(","scoped":"shared","methods":[
    {"name":"draw","pattern":"unary","request_type":"Shape","response_type":"Shape",
     "request_wire_tag":"__main__.Shape","response_wire_tag":"__main__.Shape",
     "fields":[{"name":"name","kind":"string","default_kind":"value","default_value":""},
               {"name":"mood","kind":"enum","ref_name":"Mood","enum_values":["calm","angry"],
                "default_kind":"value","default_value":"Mood.ANGRY"},
               {"name":"color","kind":"enum","ref_name":"Color","enum_values":[1,2,3],
                "default_kind":"value","default_value":"Color.BLUE"},
               {"name":"level","kind":"enum","ref_name":"Level","enum_values":[10,20],
                "default_kind":"value","default_value":20},
               {"name":"state","kind":"enum","ref_name":"State","enum_values":[0,1],
                "default_kind":"value","default_value":"State.IDLE"}]}]})");
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  ManifestTypes types({*m}, {});
  auto v = types.request_from_json(*types.find_manifest("Canvas", 3), "draw", R"({"name":"sq"})");
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  const Value::Struct& s = v->as_struct();
  EXPECT_EQ(*s.find("mood"), Value("angry"));  // ANGRY → "angry", not the first member
  EXPECT_EQ(*s.find("color"), Value("1"));     // no names for 1, 2, 3: the first member
  EXPECT_EQ(*s.find("level"), Value("20"));    // an IntEnum's default is its value
  EXPECT_EQ(*s.find("state"), Value("0"));     // our producer's C++ enum: ordinals
  // Given values still win and are still checked.
  auto given = types.request_from_json(*types.find_manifest("Canvas", 3), "draw",
                                       R"({"mood":"calm","color":3})");
  ASSERT_TRUE(given.is_ok()) << given.status().to_string();
  EXPECT_EQ(*given->as_struct().find("mood"), Value("calm"));
  EXPECT_EQ(*given->as_struct().find("color"), Value("3"));
  EXPECT_FALSE(
      types.request_from_json(*types.find_manifest("Canvas", 3), "draw", R"({"mood":"Mood.CALM"})")
          .is_ok());
}

}  // namespace
}  // namespace aster::contract
