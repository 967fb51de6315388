// ServiceDesc → contract_id/manifest, against "vector D": the contract_id the 0.1.2 pipeline
// produces for the same service, the Echo twin of tests/interop/py/aster_twins.py (the interop
// suite checks that id against aster-rpc 0.1.2 itself, tests/interop/contract_twins_test.cpp).
#include <gtest/gtest.h>

#include "aster/contract/contract.hpp"
#include "aster/contract/identity.hpp"
#include "runtime_desc.hpp"

namespace aster::contract {
namespace {

using testing::list_of;
using testing::make_struct;
using testing::map_of;
using testing::optional_of;
using testing::ref;
using testing::scalar;
using testing::set_of;
using CK = codec::TypeKind;

struct VectorD {
  std::unique_ptr<codec::StructDesc> req =
      make_struct("demo", "EchoRequest", {{"message", scalar(CK::kString)}});
  std::unique_ptr<codec::StructDesc> resp =
      make_struct("demo", "EchoResponse", {{"reply", scalar(CK::kString)}});
  std::unique_ptr<codec::StructDesc> mixed =
      make_struct("demo", "Mixed",
                  {{"n", scalar(CK::kInt64)},
                   {"tags", list_of(scalar(CK::kString))},
                   {"scores", map_of(scalar(CK::kString), scalar(CK::kFloat64))},
                   {"note", optional_of(scalar(CK::kString))},
                   {"child", optional_of(ref(*req))}});
  ServiceDesc service() const {
    return ServiceDesc("Echo")
        .method(method_desc("echo", MethodPattern::kUnary, ref(*req), ref(*resp)))
        .method(method_desc("mixed", MethodPattern::kUnary, ref(*mixed), ref(*resp))
                    .timeout(2.5)
                    .idempotent());
  }
};

TEST(ServiceContract, VectorDEndToEnd) {
  VectorD d;
  auto a = build_contract_artifacts(d.service());
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  std::map<std::string, std::string> hashes;
  for (const auto& t : a->types) hashes[t.name] = to_hex(t.hash);
  EXPECT_EQ(hashes["demo.EchoRequest"],
            "e30e4567237eef12961c2c5a0018bc074d932d39bdd7ad0a3954ee753bc742b5");
  EXPECT_EQ(to_hex(canonical_bytes(a->types[0].type_def)).substr(0, 8), "00126465");
  EXPECT_EQ(hashes["demo.EchoResponse"],
            "179291d707958900b48b29376a920a6b762db3a8aa5783802736ea0a07450e31");
  EXPECT_EQ(hashes["demo.Mixed"],
            "f62f2a722620aa4aa5cb423dab2dfa8339a54d513c012b8a5294b17fc1f84611");
  EXPECT_EQ(a->contract_bytes.size(), 183u);
  EXPECT_EQ(a->contract_id, "b428dbd8b1bc491b1d9b3d21a447d0346d9ca5c28f9b00e4be4b982e5b40c36c");

  const auto& m = a->manifest;
  EXPECT_EQ(m.type_count, 3);
  EXPECT_EQ(m.method_count, 2);
  ASSERT_EQ(m.methods.size(), 2u);
  EXPECT_EQ(m.methods[1].name, "mixed");
  EXPECT_EQ(m.methods[1].timeout, 2.5);
  EXPECT_EQ(m.methods[1].request_wire_tag, "demo/Mixed");
  const auto& child = m.methods[1].fields[4];
  EXPECT_EQ(child.kind, "ref");
  EXPECT_TRUE(child.nullable);
  EXPECT_EQ(child.wire_tag, "demo/EchoRequest");
  EXPECT_EQ(child.default_value, nullptr);
  auto parsed = parse_manifest(a->manifest_json);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, m);

  auto entries = a->collection_entries();
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries.front().first, "contract.bin");
  EXPECT_EQ(entries.back().first, "manifest.json");
}

TEST(ServiceContract, VerifyCommittedManifest) {
  VectorD d;
  auto a = build_contract_artifacts(d.service());
  ASSERT_TRUE(a.is_ok());
  std::vector<ContractArtifacts> served{*a};
  EXPECT_TRUE(verify_committed_manifest(a->manifest_json, served).is_ok());
  EXPECT_TRUE(verify_committed_manifest("[" + a->manifest_json + "]", served).is_ok());
  auto other = a->manifest;
  other.contract_id = std::string(64, '0');
  auto st = verify_committed_manifest(write_manifest_json(other), served);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("'Echo' v1"), std::string::npos);
  other.version = 2;  // another version: not checked
  EXPECT_TRUE(verify_committed_manifest(write_manifest_json(other), served).is_ok());
}

TEST(ServiceContract, NestedGenericsAndEnumsAreAny) {
  auto leaf = make_struct("p", "Leaf", {{"x", scalar(CK::kInt32)}});
  auto holder = make_struct("p", "Holder",
                            {{"grid", list_of(list_of(scalar(CK::kInt64)))},
                             {"maybe", list_of(optional_of(ref(*leaf)))},
                             {"bare", list_of(scalar(CK::kAny))},
                             {"tags", set_of(scalar(CK::kString))},
                             {"keyed", map_of(ref(*leaf), scalar(CK::kBool))}});
  auto td = type_def_for(*holder, {}, {{"p.Leaf", TypeHash{}}});
  ASSERT_TRUE(td.is_ok());
  const auto& f = td->fields;
  EXPECT_EQ(f[0].container, ContainerKind::kList);
  EXPECT_EQ(f[0].type_kind, TypeKind::kAny);        // list[list[int]]
  EXPECT_EQ(f[1].type_kind, TypeKind::kAny);        // list[Optional[Leaf]]
  EXPECT_EQ(f[2].container, ContainerKind::kNone);  // bare list
  EXPECT_EQ(f[2].type_kind, TypeKind::kAny);
  EXPECT_EQ(f[3].container, ContainerKind::kSet);
  EXPECT_EQ(f[3].type_primitive, "string");
  EXPECT_EQ(f[4].container_key_kind, TypeKind::kRef);
  EXPECT_EQ(f[4].container_key_ref.size(), 32u);
  EXPECT_EQ(f.size(), 5u);
}

TEST(ServiceContract, RejectsDuplicateMethodsAndConflictingTags) {
  VectorD d;
  auto dup =
      d.service().method(method_desc("echo", MethodPattern::kUnary, ref(*d.req), ref(*d.resp)));
  EXPECT_FALSE(build_contract_artifacts(dup).is_ok());
  auto other = make_struct("demo", "EchoRequest", {});
  auto conflicting =
      d.service().method(method_desc("other", MethodPattern::kUnary, ref(*other), ref(*d.resp)));
  auto r = build_contract_artifacts(conflicting);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("demo/EchoRequest"), std::string::npos);
}

TEST(ServiceContract, SelfReferentialTypeUsesSelfRef) {
  // 0.1.2 cannot declare this (RecursionError, docs/compatibility.md); we follow the spec (B.1 shape,
  // aster-rpc@0972ac9:ffi_spec/Aster-ContractIdentity.md Appendix B).
  auto node = std::make_unique<codec::StructDesc>();
  node->set_wire_name({"example", "TreeNode"});
  node->set_fields({{"value", scalar(CK::kString)},
                    {"left", optional_of(ref(*node))},
                    {"right", optional_of(ref(*node))}});
  auto a = build_contract_artifacts(ServiceDesc("Trees").method(
      method_desc("get", MethodPattern::kUnary, ref(*node), ref(*node))));
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_EQ(a->types.size(), 1u);
  EXPECT_EQ(to_hex(a->types[0].hash),
            "97a3080ebfbffccbe6c0c57ab3f105f38639ff4750896ba555174f6e6397722c");
}

}  // namespace
}  // namespace aster::contract
