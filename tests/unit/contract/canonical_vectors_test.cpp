// The canonical vectors of aster-rpc 0.1.2 (copied into vectors/ from
// aster-rpc@0972ac9:tests/python/conformance/canonical/, see vectors/README.md; golden contracts
// from conformance/vectors/contract-identity.json): micro vectors, structures A.2–A.6, cycles
// B.1–B.4 through TypeGraph (names from ffi_spec/Aster-ContractIdentity.md Appendices A and B),
// and the four golden contracts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/contract/canonical_writer.hpp"
#include "aster/contract/definitions.hpp"
#include "aster/contract/identity.hpp"
#include "aster/contract/type_graph.hpp"

namespace aster::contract {
namespace {

const std::filesystem::path kVectors = std::filesystem::path(ASTER_TEST_DATA_DIR) / "vectors";

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << p;
  return {std::istreambuf_iterator<char>(in), {}};
}

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(kVectors / name);
  return nlohmann::json::parse(in);
}

std::vector<uint8_t> vector_bin(std::string id) {
  for (size_t p; (p = id.find('/')) != std::string::npos;) id.replace(p, 1, "%2F");
  return read_file(kVectors / (id + ".bin"));
}

std::vector<uint8_t> hex(std::string_view h) {
  return from_hex(h).value();
}

// Every .bin file hashes to its hashes.json entry, and the counts agree.
TEST(CanonicalVectors, EveryBinMatchesHashesJson) {
  auto hashes = read_json("hashes.json");
  size_t bins = 0;
  for (auto& e : std::filesystem::directory_iterator(kVectors)) {
    if (e.path().extension() == ".bin") ++bins;
  }
  EXPECT_EQ(bins, hashes.size());
  EXPECT_EQ(hashes.size(), 41u);
  for (auto& [id, h] : hashes.items()) {
    EXPECT_EQ(to_hex(blake3(vector_bin(id))), h.get<std::string>()) << id;
  }
}

void expect_vector(const std::string& id, const std::vector<uint8_t>& bytes) {
  EXPECT_EQ(to_hex(bytes), to_hex(vector_bin(id))) << id;
}

TEST(CanonicalVectors, MicroPrimitives) {
  for (uint64_t v : {0ull, 127ull, 128ull, 16383ull, 16384ull}) {
    CanonicalWriter w;
    w.write_uvarint(v);
    expect_vector("micro.varint." + std::to_string(v), w.bytes());
  }
  for (int32_t v : {0, 1, -1, INT32_MAX, INT32_MIN}) {
    CanonicalWriter w;
    w.write_zigzag_i32(v);
    expect_vector("micro.zigzag_i32." + std::to_string(v), w.bytes());
  }
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, INT64_MAX, INT64_MIN}) {
    CanonicalWriter w;
    w.write_zigzag_i64(v);
    expect_vector("micro.zigzag_i64." + std::to_string(v), w.bytes());
  }
  for (std::string s : {"", "a", "xlang", "aster/1", "EmptyService"}) {
    CanonicalWriter w;
    w.write_string(s);
    expect_vector("micro.string.'" + s + "'", w.bytes());
  }
  {
    CanonicalWriter w;
    w.write_bytes({});
    expect_vector("micro.bytes_field.len0", w.bytes());
    CanonicalWriter w32;
    std::vector<uint8_t> ab(32, 0xAB);
    w32.write_bytes(ab);
    expect_vector("micro.bytes_field.len32", w32.bytes());
  }
  for (size_t n : {0u, 1u, 3u}) {
    CanonicalWriter w;
    w.write_list_header(n);
    expect_vector("micro.list_header." + std::to_string(n), w.bytes());
  }
  CanonicalWriter absent, present;
  absent.write_optional_absent();
  present.write_optional_present();
  expect_vector("micro.optional.absent", absent.bytes());
  expect_vector("micro.optional.present_prefix", present.bytes());
}

ServiceContract empty_service(std::string name) {
  ServiceContract sc;
  sc.name = std::move(name);
  sc.version = 1;
  sc.serialization_modes = {"xlang"};
  return sc;
}

TEST(CanonicalVectors, ScopeAndNfcContracts) {
  auto shared = empty_service("ScopeTest");
  expect_vector("micro.scope.shared", canonical_bytes(shared));
  auto session = shared;
  session.scoped = ScopeKind::kSession;
  expect_vector("micro.scope.stream", canonical_bytes(session));
  EXPECT_EQ(contract_id(session),
            "e0c2d24e5a5b10bef763917a4e10b07b7c280aeac2486ed8d2a253335bf333ea");
  // Names are emitted as given: NFD stays NFD (docs/compatibility.md).
  expect_vector("micro.nfc.nfc_name", canonical_bytes(empty_service("caf\u00e9")));
  expect_vector("micro.nfc.nfd_name", canonical_bytes(empty_service("cafe\u0301")));
  EXPECT_EQ(nfc_normalize("cafe\u0301"), "caf\u00e9");
}

TEST(CanonicalVectors, A2EmptyService) {
  auto sc = empty_service("EmptyService");
  expect_vector("A.2", canonical_bytes(sc));
  EXPECT_EQ(to_hex(canonical_bytes(sc)), "32456d7074795365727669636502000c010c16786c616e6700fd");
  EXPECT_EQ(contract_id(sc), "c211545aa8d387d6aa8cf3cce21a6f4fca7ad89f6e8bf9f1a58a55a0e82b3c0c");
}

TEST(CanonicalVectors, A3EnumColor) {
  TypeDef td{TypeDefKind::kEnum, "test", "Color", {}, {{"BLUE", 2}, {"RED", 0}, {"GREEN", 1}}, {}};
  expect_vector("A.3", canonical_bytes(td));
  EXPECT_EQ(to_hex(type_hash(td)),
            "bac1586aaa144fa0b565268419da29f18e536f18c7290e4bdf3496919cfa29ce");
}

TEST(CanonicalVectors, A4WrapperRef) {
  FieldDef inner;
  inner.id = 1;
  inner.name = "inner";
  inner.type_kind = TypeKind::kRef;
  inner.type_ref.assign(32, 0xAA);
  TypeDef td{TypeDefKind::kMessage, "test", "Wrapper", {inner}, {}, {}};
  expect_vector("A.4", canonical_bytes(td));
}

MethodDef do_work() {
  MethodDef m;
  m.name = "do_work";
  m.request_type.assign(32, 0x11);
  m.response_type.assign(32, 0x22);
  m.idempotent = true;
  m.default_timeout = 30.0;
  // Given unsorted: the writer sorts roles by code point.
  m.requires_ = CapabilityRequirement{CapabilityKind::kAnyOf, {"Operator", "Admin"}};
  return m;
}

TEST(CanonicalVectors, A5A6MethodDef) {
  expect_vector("A.5", canonical_bytes(do_work()));
  auto m = do_work();
  m.idempotent = false;
  m.default_timeout = 0.0;
  m.requires_.reset();
  expect_vector("A.6", canonical_bytes(m));
}

// B.* through the graph: each test type is described as (name, fields), where a field names the
// referenced type; the builder turns back edges into SELF_REF exactly as service types do.
struct TestField {
  std::string name;
  std::string ref;  // empty = primitive string
  bool optional = false;
  ContainerKind container = ContainerKind::kNone;
};
using TestTypes = std::map<std::string, std::vector<TestField>>;

std::map<std::string, TypeHash> resolve_test_types(const TestTypes& types) {
  TypeGraph g;
  for (const auto& [name, fields] : types) {
    std::vector<std::string> refs;
    for (const auto& f : fields) {
      if (!f.ref.empty()) refs.push_back(f.ref);
    }
    g.add_type(name, refs);
  }
  auto resolved = g.resolve([&](const std::string& name, const std::set<std::string>& self_refs,
                                const std::map<std::string, TypeHash>& hashes) -> Result<TypeDef> {
    TypeDef td;
    td.package = name.substr(0, name.rfind('.'));
    td.name = name.substr(name.rfind('.') + 1);
    int32_t id = 0;
    for (const auto& f : types.at(name)) {
      FieldDef fd;
      fd.id = ++id;
      fd.name = f.name;
      fd.optional = f.optional;
      fd.container = f.container;
      if (f.ref.empty()) {
        fd.type_primitive = "string";
      } else if (self_refs.count(f.ref)) {
        fd.type_kind = TypeKind::kSelfRef;
        fd.self_ref_name = f.ref;
      } else {
        fd.type_kind = TypeKind::kRef;
        const auto& h = hashes.at(f.ref);
        fd.type_ref.assign(h.begin(), h.end());
      }
      td.fields.push_back(std::move(fd));
    }
    return td;
  });
  EXPECT_TRUE(resolved.is_ok()) << resolved.status().to_string();
  std::map<std::string, TypeHash> out;
  for (auto& r : *resolved) {
    out[r.name] = r.hash;
    auto id = "B." + r.name;
    (void)id;
  }
  return out;
}

TEST(CanonicalVectors, B1SelfRecursion) {
  auto h = resolve_test_types(
      {{"example.TreeNode",
        {{"value", ""}, {"left", "example.TreeNode", true}, {"right", "example.TreeNode", true}}}});
  EXPECT_EQ(to_hex(h["example.TreeNode"]), to_hex(blake3(vector_bin("B.1"))));
  EXPECT_EQ(to_hex(h["example.TreeNode"]),
            "97a3080ebfbffccbe6c0c57ab3f105f38639ff4750896ba555174f6e6397722c");
}

TEST(CanonicalVectors, B2MutualRecursion) {
  auto h = resolve_test_types(
      {{"example.Author", {{"name", ""}, {"books", "example.Book", false, ContainerKind::kList}}},
       {"example.Book", {{"title", ""}, {"written_by", "example.Author"}}}});
  EXPECT_EQ(to_hex(h["example.Book"]),
            "8ab1b1a29a1bf17b2e9cc357f7c16858bed69f20a64403c04794200a00bbc7a4");
  EXPECT_EQ(to_hex(h["example.Author"]),
            "bf109eb3308bedd647788a2df81a89ae48b133e938c72f79a703351994c47ad0");
}

TEST(CanonicalVectors, B3ThreeCycle) {
  auto h = resolve_test_types({{"example.Alpha", {{"next", "example.Beta"}}},
                               {"example.Beta", {{"next", "example.Gamma"}}},
                               {"example.Gamma", {{"next", "example.Alpha"}}}});
  EXPECT_EQ(to_hex(h["example.Gamma"]),
            "262db36c1dd0156042b4a46467a74271838068a319b4d060c96fca6fd7ffd453");
}

TEST(CanonicalVectors, B4DiamondBackEdge) {
  TypeGraph g;
  g.add_type("example.A", {"example.B", "example.C"});
  g.add_type("example.B", {"example.C"});
  g.add_type("example.C", {"example.A"});
  auto plan = g.plan();
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->order, (std::vector<std::string>{"example.C", "example.B", "example.A"}));
  EXPECT_EQ(plan->back_edges["example.A"], (std::set<std::string>{"example.C"}));
  EXPECT_EQ(plan->back_edges["example.C"], (std::set<std::string>{"example.A"}));
  EXPECT_FALSE(plan->back_edges.count("example.B"));

  auto h = resolve_test_types({{"example.A", {{"b_field", "example.B"}, {"c_field", "example.C"}}},
                               {"example.B", {{"c_field", "example.C"}}},
                               {"example.C", {{"a_field", "example.A"}}}});
  EXPECT_EQ(to_hex(h["example.C"]),
            "5620e530f9a806c50b6552b27a0de57b2a48c1bc2ee931bcea0ce012b68b52b3");
}

TEST(CanonicalVectors, AcyclicGraphIsLeavesFirstWithoutSelfRefs) {
  TypeGraph g;
  g.add_type("p.Root", {"p.Mid", "p.Leaf"});
  g.add_type("p.Mid", {"p.Leaf"});
  g.add_type("p.Leaf", {});
  auto plan = g.plan();
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->order, (std::vector<std::string>{"p.Leaf", "p.Mid", "p.Root"}));
  EXPECT_TRUE(plan->back_edges.empty());
}

TEST(CanonicalVectors, GraphRejectsDanglingReference) {
  TypeGraph g;
  g.add_type("p.Root", {"p.Missing"});
  auto plan = g.plan();
  ASSERT_FALSE(plan.is_ok());
  EXPECT_NE(plan.status().message().find("p.Missing"), std::string::npos);
}

TEST(CanonicalVectors, DeepChainDoesNotRecurse) {
  TypeGraph g;
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    g.add_type("p.T" + std::to_string(i), {"p.T" + std::to_string((i + 1) % n)});
  }
  auto plan = g.plan();
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->order.size(), static_cast<size_t>(n));
}

// The four golden contracts of conformance/vectors/contract-identity.json.
TEST(CanonicalVectors, GoldenContracts) {
  auto doc = read_json("contract-identity.json");
  ASSERT_EQ(doc["golden_vectors"].size(), 4u);
  for (const auto& v : doc["golden_vectors"]) {
    const auto& c = v["contract"];
    ServiceContract sc;
    sc.name = c["name"];
    sc.version = c["version"];
    sc.scoped = static_cast<ScopeKind>(c["scoped"].get<int>());
    for (const auto& mode : c["serialization_modes"]) sc.serialization_modes.push_back(mode);
    for (const auto& m : c["methods"]) {
      MethodDef md;
      md.name = m["name"];
      md.pattern = static_cast<MethodPattern>(m["pattern"].get<int>());
      md.request_type = hex(m["request_type"].get<std::string>());
      md.response_type = hex(m["response_type"].get<std::string>());
      md.idempotent = m["idempotent"];
      md.default_timeout = m["default_timeout"];
      if (!m["requires"].is_null()) {
        CapabilityRequirement cap;
        cap.kind = static_cast<CapabilityKind>(m["requires"]["kind"].get<int>());
        for (const auto& r : m["requires"]["roles"]) cap.roles.push_back(r);
        md.requires_ = cap;
      }
      sc.methods.push_back(md);
    }
    auto bytes = canonical_bytes(sc);
    EXPECT_EQ(to_hex(bytes), v["expected_canonical_hex"].get<std::string>()) << v["name"];
    EXPECT_EQ(bytes.size(), v["expected_canonical_length"].get<size_t>()) << v["name"];
    EXPECT_EQ(contract_id(sc), v["expected_blake3"].get<std::string>()) << v["name"];
  }
  for (const auto& n : doc["identifier_normalization"]["vectors"]) {
    EXPECT_EQ(nfc_normalize(n["input"].get<std::string>()), n["normalized"].get<std::string>());
  }
}

TEST(CanonicalVectors, PrimitiveStandInHashes) {
  EXPECT_EQ(to_hex(primitive_stand_in_hash("int64")).substr(0, 8), "6a6b095e");
  EXPECT_EQ(to_hex(primitive_stand_in_hash("float64")).substr(0, 8), "91b073ff");
  EXPECT_EQ(to_hex(primitive_stand_in_hash("string")).substr(0, 8), "1c47174c");
  EXPECT_EQ(to_hex(primitive_stand_in_hash("bool")).substr(0, 8), "eed4fe70");
  EXPECT_EQ(to_hex(primitive_stand_in_hash("binary")).substr(0, 8), "af0ff145");
}

}  // namespace
}  // namespace aster::contract

#include "aster/contract/canonical_reader.hpp"

namespace aster::contract {
namespace {

TEST(CanonicalReader, ReadsEveryTypeDefVectorBack) {
  for (std::string id : {"A.3", "A.4", "B.1", "B.2", "B.2-author", "B.3", "B.4"}) {
    auto bytes = vector_bin(id);
    auto td = read_type_def(bytes);
    ASSERT_TRUE(td.is_ok()) << id << ": " << td.status().to_string();
    EXPECT_EQ(canonical_bytes(*td), bytes) << id;
  }
}

TEST(CanonicalReader, RejectsTruncatedAndTrailingInput) {
  auto bytes = vector_bin("B.1");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(read_type_def(std::span(bytes).first(cut)).is_ok()) << cut;
  }
  bytes.push_back(0);
  auto r = read_type_def(bytes);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("trailing bytes"), std::string::npos);
}

}  // namespace
}  // namespace aster::contract

namespace aster::contract {
namespace {

// Methods sort by the code points of their NFC forms, but names are written as given
// (aster-rpc@0972ac9:core/src/contract.rs; docs/contract.md):
// NFD "e\u0301a" sorts as NFC "\u00e9a" (U+00E9 > 'f'), so "f" comes first.
TEST(CanonicalOrder, MethodsSortByNfcCodePoints) {
  ServiceContract sc;
  sc.name = "S";
  sc.serialization_modes = {"xlang"};
  MethodDef nfd, f, z;
  nfd.name = "e\u0301a";
  f.name = "f";
  z.name = "Z";  // uppercase sorts before lowercase
  sc.methods = {nfd, f, z};
  auto bytes = canonical_bytes(sc);
  std::string s(bytes.begin(), bytes.end());
  auto pos_nfd = s.find("e\u0301a"),
       pos_f = s.find(
           "\x06"
           "f"),
       pos_z = s.find(
           "\x06"
           "Z");
  ASSERT_NE(pos_nfd, std::string::npos);
  EXPECT_LT(pos_z, pos_f);
  EXPECT_LT(pos_f, pos_nfd);
  EXPECT_TRUE(nfc_codepoint_less("f", "e\u0301a"));
  EXPECT_FALSE(nfc_codepoint_less("\u00e9a", "e\u0301a"));  // equal after NFC
}

}  // namespace
}  // namespace aster::contract
