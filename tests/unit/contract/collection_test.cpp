// contract::read_collection / read_type_blobs / read_file_capped, and ManifestTypes name
// merging (issue 9) on collections we build ourselves. The same against 0.1.2's own
// build_collection: tests/interop/collection_test.cpp.
#include "aster/contract/collection.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "aster/contract/contract.hpp"
#include "aster/contract/identity.hpp"
#include "aster/contract/manifest_types.hpp"
#include "runtime_desc.hpp"

namespace aster::contract {
namespace {

namespace fs = std::filesystem;
using CK = codec::TypeKind;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("aster-collection-test-" + std::to_string(getpid()) + "-" + std::to_string(n_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

void write_file(const fs::path& p, std::span<const uint8_t> bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                           static_cast<std::streamsize>(bytes.size()));
}

// A service with a request that nests a struct that nests another (two levels).
struct Sample {
  std::unique_ptr<codec::StructDesc> leaf = testing::make_struct(
      "shop.orders", "Currency", {{"code", testing::scalar(CK::kString)}});
  std::unique_ptr<codec::StructDesc> mid = testing::make_struct(
      "shop.orders", "Money",
      {{"units", testing::scalar(CK::kInt64)}, {"currency", testing::ref(*leaf)}});
  std::unique_ptr<codec::StructDesc> req = testing::make_struct(
      "shop.orders", "Order",
      {{"total", testing::ref(*mid)}, {"lines", testing::list_of(testing::ref(*mid))}});
  ContractArtifacts artifacts;
  Sample() {
    leaf->finalize();
    mid->finalize();
    req->finalize();
    auto a = build_contract_artifacts(ServiceDesc("Shop").method(method_desc(
        "place", MethodPattern::kUnary, testing::ref(*req), testing::ref(*req))));
    EXPECT_TRUE(a.is_ok()) << a.status().to_string();
    artifacts = std::move(a).value();
  }
  void write(const fs::path& dir) const {
    for (const auto& [name, bytes] : artifacts.collection_entries()) write_file(dir / name, bytes);
  }
};

TEST(Collection, ReadsWhatWeWriteAndVerifies) {
  Sample s;
  TempDir dir;
  s.write(dir.path());
  std::ofstream(dir.path() / "types" / "README.txt") << "not a blob";  // ignored
  auto c = read_collection(dir.path(), {.verify = true});
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->manifest, s.artifacts.manifest);
  EXPECT_EQ(c->contract_bytes, s.artifacts.contract_bytes);
  ASSERT_EQ(c->types.size(), 3u);
  for (const auto& t : c->types) EXPECT_EQ(to_hex(t.hash), to_hex(type_hash(t.type_def)));
}

TEST(Collection, VerifyCatchesWhatReadingTrusts) {
  Sample s;
  TempDir dir;
  s.write(dir.path());
  // A valid blob under another type's name: reading trusts the name, verifying does not.
  std::string a = s.artifacts.manifest.type_hashes[0], b = s.artifacts.manifest.type_hashes[1];
  fs::copy_file(dir.path() / "types" / (a + ".bin"), dir.path() / "types" / (b + ".bin"),
                fs::copy_options::overwrite_existing);
  EXPECT_TRUE(read_collection(dir.path()).is_ok());
  auto v = read_collection(dir.path(), {.verify = true});
  ASSERT_FALSE(v.is_ok());
  EXPECT_EQ(v.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(v.status().message().rfind("types/" + b + ".bin: content hashes to " + a, 0), 0u)
      << v.status().message();

  TempDir dir2;
  s.write(dir2.path());
  auto contract = s.artifacts.contract_bytes;
  contract.back() ^= 1;
  write_file(dir2.path() / "contract.bin", contract);
  auto w = read_collection(dir2.path(), {.verify = true});
  ASSERT_FALSE(w.is_ok());
  EXPECT_NE(w.status().message().find("contract.bin: hashes to"), std::string::npos);

  TempDir dir3;
  s.write(dir3.path());
  fs::remove(dir3.path() / "types" / (a + ".bin"));
  auto x = read_collection(dir3.path(), {.verify = true});
  ASSERT_FALSE(x.is_ok());
  EXPECT_NE(x.status().message().find("listed in manifest.json type_hashes but missing"),
            std::string::npos);
}

TEST(Collection, ReadFileCappedReadsFifosAndSaysWhenTooBig) {
  TempDir dir;
  fs::path fifo = dir.path() / "manifest.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo) << std::string(1000, 'x'); });
  auto text = read_file_capped(fifo, 4096);
  writer.join();
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  EXPECT_EQ(text->size(), 1000u);

  std::ofstream(dir.path() / "big") << std::string(5000, 'y');
  auto big = read_file_capped(dir.path() / "big", 4096);
  ASSERT_FALSE(big.is_ok());
  EXPECT_NE(big.status().message().find("larger than the limit of 4096 bytes"), std::string::npos);
  EXPECT_EQ(read_file_capped(dir.path() / "nope", 10).status().code(), StatusCode::kNotFound);
}

// 0.1.2's default tags: the manifest says `shop.orders.Order`, the TypeDef package
// `shop.orders` and name `Order`. One type, every spelling.
TEST(ManifestTypesMerge, DefaultTagsAndTypeDefsAreOneType) {
  Sample s;
  ContractManifest m = s.artifacts.manifest;
  for (auto& md : m.methods) {
    md.request_wire_tag = "shop.orders.Order";
    md.response_wire_tag = "shop.orders.Order";
    for (auto& f : md.fields) {
      if (f.wire_tag) f.wire_tag = "shop.orders.Money";
      if (f.item_wire_tag) f.item_wire_tag = "shop.orders.Money";
    }
  }
  std::vector<TypeBlob> blobs;
  for (const auto& t : s.artifacts.types) blobs.push_back({t.hash, t.type_def});
  ManifestTypes types({m}, blobs);
  for (const char* name : {"Order", "shop.orders.Order", "shop.orders/Order"}) {
    auto t = types.find_type(name);
    ASSERT_TRUE(t.is_ok()) << name << ": " << t.status().to_string();
    EXPECT_EQ((*t)->struct_type->tag(), "shop.orders/Order");
    // Two levels down, from the TypeDefs alone.
    const auto& money = *(*t)->struct_type->fields()[0].type->struct_type;
    EXPECT_EQ(money.tag(), "shop.orders/Money");
    EXPECT_EQ(money.fields()[1].type->struct_type->tag(), "shop.orders/Currency");
    // The list's element type, also from the TypeDef.
    EXPECT_EQ((*t)->struct_type->fields()[1].type->element->struct_type, &money);
  }
  EXPECT_EQ(types.type_tags().size(), 3u);  // not six: no second spelling of any type

  // The manifest alone knows Order but only names Money; the error says where Money lives.
  ManifestTypes manifest_only(std::vector<ContractManifest>{m});
  auto order = manifest_only.find_type("Order");
  ASSERT_FALSE(order.is_ok());
  EXPECT_EQ(order.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(order.status().message().rfind(
                "shop.orders/Order.total: no description of type 'shop.orders/Money'", 0),
            0u)
      << order.status().message();
  EXPECT_EQ(order.status().message().find("--"), std::string::npos);  // no CLI words
}

TEST(ManifestTypesMerge, AGenuineClashListsBothTags) {
  auto a = testing::make_struct("a", "Entry", {{"x", testing::scalar(CK::kString)}});
  auto b = testing::make_struct("b", "Entry", {{"y", testing::scalar(CK::kInt64)}});
  auto req = testing::make_struct(
      "a", "Req", {{"one", testing::ref(*a)}, {"two", testing::ref(*b)}});
  for (auto* d : {a.get(), b.get(), req.get()}) d->finalize();
  auto art = build_contract_artifacts(ServiceDesc("S").method(
      method_desc("m", MethodPattern::kUnary, testing::ref(*req), testing::ref(*req))));
  ASSERT_TRUE(art.is_ok()) << art.status().to_string();
  std::vector<TypeBlob> blobs;
  for (const auto& t : art->types) blobs.push_back({t.hash, t.type_def});
  ManifestTypes types({art->manifest}, blobs);
  auto entry = types.find_type("Entry");
  ASSERT_FALSE(entry.is_ok());
  EXPECT_EQ(entry.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(entry.status().message(),
            "type name 'Entry' is ambiguous (a/Entry, b/Entry); give its wire tag");
  EXPECT_TRUE(types.find_type("b/Entry").is_ok());
  EXPECT_TRUE(types.find_type("a.Entry").is_ok());
  auto unknown = types.find_type("Nope");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().message(),
            "unknown type 'Nope' (known: a/Entry, a/Req, b/Entry)");
}

}  // namespace
}  // namespace aster::contract
