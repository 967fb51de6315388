// The registry (include/aster/registry/registry.hpp): ArtifactRef JSON and keys byte for byte
// as aster-rpc 0.1.2 writes them (expected strings printed by the reference venv's
// `aster.registry.models.ArtifactRef(...).to_json()` and `aster.registry.keys`), the manifest
// cache, and a publication read back over loopback by a second endpoint (fast and slow path).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/contract/contract.hpp"
#include "aster/registry/registry.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/transport/content.hpp"
#include "rpc_test_service.hpp"

namespace aster::registry {
namespace {

namespace fs = std::filesystem;

TEST(ArtifactRef, JsonIsByteForByteWhat012Writes) {
  ArtifactRef ref;
  for (int i = 0; i < 32; ++i) ref.contract_id += "ab";
  for (int i = 0; i < 32; ++i) ref.collection_hash += "cd";
  ref.ticket = "blobabc";
  for (int i = 0; i < 32; ++i) ref.published_by += "ef";
  ref.published_at_epoch_ms = 1764500000123;
  ref.collection_format = "index";
  // python -c 'from aster.registry.models import ArtifactRef; print(ArtifactRef(
  //   contract_id="ab"*32, collection_hash="cd"*32, ticket="blobabc", published_by="ef"*32,
  //   published_at_epoch_ms=1764500000123, collection_format="index").to_json())'
  EXPECT_EQ(ref.to_json(),
            R"({"contract_id":"abababababababababababababababababababababababababababababababab",)"
            R"("collection_hash":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",)"
            R"("provider_endpoint_id":null,"relay_url":null,"ticket":"blobabc",)"
            R"("published_by":"efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef",)"
            R"("published_at_epoch_ms":1764500000123,"collection_format":"index"})");
  auto back = ArtifactRef::from_json(ref.to_json());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->to_json(), ref.to_json());
}

TEST(ArtifactRef, ReadsAs012Does) {
  // 0.1.2: collection_format defaults to "raw", the rest to their dataclass defaults.
  auto r = ArtifactRef::from_json(R"({"contract_id":"x","collection_hash":"y"})");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->collection_format, "raw");
  EXPECT_FALSE(r->ticket.has_value());
  EXPECT_EQ(r->published_at_epoch_ms, 0);
  // 0.1.2: ArtifactRef(**data) raises TypeError on an unknown key.
  EXPECT_EQ(ArtifactRef::from_json(R"({"contract_id":"x","collection_hash":"y","extra":1})")
                .status()
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ArtifactRef::from_json(R"({"collection_hash":"y"})").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ArtifactRef::from_json("[1]").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ArtifactRef::from_json("{").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ArtifactRef::from_json(R"({"contract_id":1,"collection_hash":"y"})").status().code(),
            StatusCode::kDataLoss);
}

TEST(RegistryKeys, As012Writes) {
  // aster.registry.keys: contract_key("ab"*32), version_key("Hello Ü", 3)
  EXPECT_EQ(contract_key(std::string(64, 'a')), "contracts/" + std::string(64, 'a'));
  EXPECT_EQ(manifest_key("00ff"), "manifests/00ff");
  EXPECT_EQ(version_key("Hello \xc3\x9c", 3), "services/Hello \xc3\x9c/versions/v3");
  EXPECT_EQ(collection_tag("0123456789abcdef0123"), "aster-collection/0123456789abcdef");
}

TEST(ManifestCache, WritesWhat012sShellWritesAndRefusesNonHexIds) {
  const fs::path home = fs::temp_directory_path() / ("aster-reg-cache-" + std::to_string(getpid()));
  fs::remove_all(home);
  const std::string cid(64, 'c');
  ASSERT_TRUE(save_manifest_to_cache(home, cid, R"({"v":1,"service":"S","timeout":2.5,"x":"é"})")
                  .is_ok());
  std::ifstream in(home / ".aster" / "cache" / "manifests" / (cid + ".json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // json.dumps(manifest, indent=2) (ensure_ascii)
  EXPECT_EQ(text,
            "{\n  \"v\": 1,\n  \"service\": \"S\",\n  \"timeout\": 2.5,\n  \"x\": "
            "\"\\u00e9\"\n}");
  EXPECT_EQ(manifest_cache_path(home, "../etc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(save_manifest_to_cache(home, cid, "not json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(save_type_blob_to_cache(home, "zz", {}).code(), StatusCode::kInvalidArgument);
  fs::remove_all(home);
}

// Two endpoints serving content on 127.0.0.1: a producer that publishes, a reader.
class RegistryOverLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = transport::BlockingRuntime::create();
    ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
    runtime_ = std::move(*rt);
    for (auto* ep : {&producer_, &reader_}) {
      transport::EndpointConfig cfg;
      cfg.bind_v4 = "127.0.0.1:0";
      cfg.serve_content = true;
      auto made = runtime_->run(runtime_->runtime().create_endpoint(cfg));
      ASSERT_TRUE(made.is_ok()) << made.status().to_string();
      *ep = std::move(*made);
    }
    auto artifacts = contract::build_contract_artifacts(aster::testing::RpcTest::descriptor());
    ASSERT_TRUE(artifacts.is_ok()) << artifacts.status().to_string();
    artifacts_.push_back(std::move(*artifacts));
  }
  void TearDown() override {
    producer_ = {};
    reader_ = {};
    runtime_.reset();
  }

  std::unique_ptr<transport::BlockingRuntime> runtime_;
  transport::Endpoint producer_, reader_;
  std::vector<contract::ContractArtifacts> artifacts_;
};

TEST_F(RegistryOverLoopback, AReaderGetsTheManifestAndTheCollectionThePublisherWrote) {
  PublishOptions po;
  po.now_epoch_ms = 1764500000123;
  auto pub = runtime_->run(publish_contracts(producer_, artifacts_, po));
  ASSERT_TRUE(pub.is_ok()) << pub.status().to_string();
  ASSERT_EQ(pub->namespace_id.size(), 64u);
  ASSERT_EQ(pub->collection_hashes.size(), 1u);
  const auto& a = artifacts_.front();
  auto producer_addr = producer_.address();
  ASSERT_TRUE(producer_addr.is_ok());

  struct Seen {
    std::string manifest, source, ref_json, version_pointer;
    std::vector<std::pair<std::string, std::vector<uint8_t>>> collection;
    bool synced = false;
  };
  auto seen = runtime_->run([&]() -> asio::awaitable<Result<Seen>> {
    Seen s;
    ASTER_CO_ASSIGN_OR_RETURN(auto reader, co_await RegistryReader::join(reader_, *producer_addr,
                                                                         pub->namespace_id));
    s.synced = reader.synced();
    ASTER_CO_ASSIGN_OR_RETURN(s.manifest, co_await reader.manifest(a.contract_id, &s.source));
    ASTER_CO_ASSIGN_OR_RETURN(s.collection, co_await reader.collection(a.contract_id));
    ASTER_CO_ASSIGN_OR_RETURN(auto refs, co_await reader.entries(contract_key(a.contract_id)));
    if (refs.size() != 1) co_return Status(StatusCode::kInternal, "expected one ArtifactRef");
    ASTER_CO_ASSIGN_OR_RETURN(auto ref, co_await reader.content(refs.front()));
    s.ref_json.assign(ref.begin(), ref.end());
    ASTER_CO_ASSIGN_OR_RETURN(auto vp, co_await reader.entries(version_key("RpcTest", 1)));
    if (vp.size() != 1) co_return Status(StatusCode::kInternal, "expected one version pointer");
    ASTER_CO_ASSIGN_OR_RETURN(auto cid, co_await reader.content(vp.front()));
    s.version_pointer.assign(cid.begin(), cid.end());
    co_return s;
  }());
  ASSERT_TRUE(seen.is_ok()) << seen.status().to_string();
  EXPECT_TRUE(seen->synced);
  EXPECT_EQ(seen->manifest, a.manifest_json);
  EXPECT_EQ(seen->source, manifest_key(a.contract_id));  // the fast path
  EXPECT_EQ(seen->collection, a.collection_entries());   // names, order and bytes
  EXPECT_EQ(seen->version_pointer, a.contract_id);
  auto ref = ArtifactRef::from_json(seen->ref_json);
  ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
  EXPECT_EQ(ref->contract_id, a.contract_id);
  EXPECT_EQ(ref->collection_hash, pub->collection_hashes.front());
  EXPECT_EQ(ref->collection_format, "index");
  EXPECT_EQ(ref->published_at_epoch_ms, 1764500000123);
  ASSERT_TRUE(ref->ticket.has_value());
  EXPECT_EQ(ref->ticket->rfind("blob", 0), 0u);
  EXPECT_EQ(ref->to_json(), seen->ref_json);  // 0.1.2 key order on the wire
}

TEST_F(RegistryOverLoopback, ClearErrorsForWhatIsNotThere) {
  auto pub = runtime_->run(publish_contracts(producer_, artifacts_));
  ASSERT_TRUE(pub.is_ok()) << pub.status().to_string();
  auto producer_addr = producer_.address();
  ASSERT_TRUE(producer_addr.is_ok());
  // Unknown contract id: neither key exists.
  auto missing = runtime_->run(
      fetch_manifest(reader_, *producer_addr, pub->namespace_id, std::string(64, '0')));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().to_string();
  EXPECT_NE(missing.status().message().find("manifests/" + std::string(64, '0')),
            std::string::npos);
  // Not a contract id.
  auto bad_cid = runtime_->run(fetch_manifest(reader_, *producer_addr, pub->namespace_id, "Xyz"));
  EXPECT_EQ(bad_cid.status().code(), StatusCode::kInvalidArgument);
  // No registry, or a namespace that is not hex.
  auto none = runtime_->run(fetch_manifest(reader_, *producer_addr, "", std::string(64, 'a')));
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  auto bad_ns = runtime_->run(fetch_manifest(reader_, *producer_addr, "zz", std::string(64, 'a')));
  EXPECT_EQ(bad_ns.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistryOverLoopback, BlobsReadDownloadAndRefuse) {
  const std::string text = "hello blobs";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  auto hash = runtime_->run(transport::add_blob(producer_, bytes));
  ASSERT_TRUE(hash.is_ok()) << hash.status().to_string();
  // Too long for the limit; absent on the other endpoint until downloaded.
  EXPECT_EQ(runtime_->run(transport::read_blob(producer_, *hash, 3)).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(runtime_->run(transport::read_blob(reader_, *hash, 1024)).status().code(),
            StatusCode::kNotFound);
  auto producer_addr = producer_.address();
  ASSERT_TRUE(producer_addr.is_ok());
  Status got = runtime_->run(transport::download_blob(reader_, *producer_addr, *hash, false,
                                                      std::chrono::seconds(10)));
  ASSERT_TRUE(got.is_ok()) << got.to_string();
  auto read = runtime_->run(transport::read_blob(reader_, *hash, 1024));
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(std::string(read->begin(), read->end()), text);
  // An endpoint without content refuses blob calls.
  transport::EndpointConfig plain;
  plain.bind_v4 = "127.0.0.1:0";
  auto ep = runtime_->run(runtime_->runtime().create_endpoint(plain));
  ASSERT_TRUE(ep.is_ok());
  EXPECT_EQ(runtime_->run(transport::add_blob(*ep, bytes)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(transport::parse_hex32("12").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(transport::to_hex(*transport::parse_hex32(transport::to_hex(*hash))),
            transport::to_hex(*hash));
}

TEST_F(RegistryOverLoopback, ArtifactsCollectionListingAndBlobDownloadWithProgress) {
  auto pub = runtime_->run(publish_contracts(producer_, artifacts_));
  ASSERT_TRUE(pub.is_ok()) << pub.status().to_string();
  const auto& a = artifacts_.front();
  // A blob big enough to arrive in many chunks (deterministic bytes).
  std::vector<uint8_t> big(3u << 20);
  uint32_t seed = 7;
  for (auto& b : big) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(seed >> 24);
  }
  auto big_hash = runtime_->run(transport::add_blob(producer_, big, "test/big"));
  ASSERT_TRUE(big_hash.is_ok()) << big_hash.status().to_string();
  auto producer_addr = producer_.address();
  ASSERT_TRUE(producer_addr.is_ok());

  struct Seen {
    std::vector<ArtifactRef> refs;
    std::vector<transport::CollectionEntry> listing;
    uint64_t size = 0;
    std::vector<uint8_t> bytes;
    std::vector<uint64_t> progress;
    Status unknown_size, unknown_blob;
    bool local_after = false;
  };
  auto seen = runtime_->run([&]() -> asio::awaitable<Result<Seen>> {
    Seen s;
    ASTER_CO_ASSIGN_OR_RETURN(auto reader, co_await RegistryReader::join(reader_, *producer_addr,
                                                                         pub->namespace_id));
    ASTER_CO_ASSIGN_OR_RETURN(s.refs, co_await reader.artifacts());
    ASTER_CO_ASSIGN_OR_RETURN(auto root, transport::parse_hex32(pub->collection_hashes.front()));
    ASTER_CO_ASSIGN_OR_RETURN(s.listing, co_await reader.list_collection(root));
    ASTER_CO_ASSIGN_OR_RETURN(s.size, co_await reader.blob_size(*big_hash));
    ASTER_CO_ASSIGN_OR_RETURN(
        s.bytes, co_await reader.blob(*big_hash, 8u << 20,
                                      [&s](uint64_t bytes) { s.progress.push_back(bytes); }));
    s.local_after = (co_await reader.local_blob(*big_hash, 8u << 20)).is_ok();
    transport::ContentHash unknown{};
    unknown.fill(0x11);
    s.unknown_size = (co_await reader.blob_size(unknown)).status();
    s.unknown_blob = (co_await reader.blob(unknown, 1024)).status();
    co_return s;
  }());
  ASSERT_TRUE(seen.is_ok()) << seen.status().to_string();
  ASSERT_EQ(seen->refs.size(), 1u);
  EXPECT_EQ(seen->refs.front().contract_id, a.contract_id);
  EXPECT_EQ(seen->refs.front().collection_hash, pub->collection_hashes.front());
  const auto entries = a.collection_entries();
  ASSERT_EQ(seen->listing.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(seen->listing[i].name, entries[i].first);
    EXPECT_EQ(seen->listing[i].size, entries[i].second.size()) << entries[i].first;
  }
  EXPECT_EQ(seen->size, big.size());
  EXPECT_TRUE(seen->bytes == big);
  EXPECT_TRUE(seen->local_after);
  // The bridge reported progress while the download ran: at least once, never backwards,
  // never beyond the blob.
  ASSERT_FALSE(seen->progress.empty());
  for (size_t i = 0; i < seen->progress.size(); ++i) {
    EXPECT_LE(seen->progress[i], big.size());
    if (i > 0) {
      EXPECT_GE(seen->progress[i], seen->progress[i - 1]);
    }
  }
  EXPECT_EQ(seen->unknown_size.code(), StatusCode::kUnavailable) << seen->unknown_size.to_string();
  EXPECT_FALSE(seen->unknown_blob.is_ok());
}

}  // namespace
}  // namespace aster::registry
