// The registry against aster-rpc / aster-cli 0.1.2 both ways (issue 11, point 1; docs/registry.md):
//  - our producer's registry read by 0.1.2's own code: the shell's PeerConnection (fast path
//    `manifests/<cid>`), the slow path it falls back to (ArtifactRef → collection download →
//    manifest.json) and the version pointers (py/registry_reader.py), and `aster shell` of
//    aster-cli 0.1.2 listing our methods with an empty manifest cache;
//  - a 0.1.2 producer's registry (py/call_producer.py) read by our RegistryReader (manifest,
//    whole collection against the files 0.1.2's build_collection writes) and by `aster call`
//    in Fory mode with no local files and an empty HOME.
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/contract/contract.hpp"
#include "aster/registry/registry.hpp"
#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "reference_peer.hpp"
#include "rpc_test_service.hpp"
#include "session_test_service.hpp"

namespace aster::interop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kAster = std::string(ASTER_BINARY_DIR) + "/cli/aster";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() /
               ("aster-registry-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// ---- 0.1.2 reads our registry ----------------------------------------------------------------

class PythonReadsOurRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runtime_ = transport::BlockingRuntime::create().value().release();
    rpc::ServerOptions options;
    options.bind_v4 = "127.0.0.1:0";
    server_ = new rpc::Server(runtime_->runtime(), options);
    server_->add(aster::testing::make_rpc_test_impl());
    server_->add(aster::testing::make_session_test_impl());  // for `aster call` on a session
    Status started = runtime_->run(server_->start());
    ASSERT_TRUE(started.is_ok()) << started.to_string();
    ASSERT_TRUE(server_->registry_status().is_ok()) << server_->registry_status().to_string();
    asio::co_spawn(runtime_->io(), server_->serve(), asio::detached);
  }
  static void TearDownTestSuite() {
    if (runtime_ && server_) runtime_->run(server_->close());
    delete server_;
    server_ = nullptr;
    delete runtime_;
    runtime_ = nullptr;
  }
  static contract::ContractArtifacts artifacts() {
    return contract::build_contract_artifacts(aster::testing::RpcTest::descriptor()).value();
  }
  static transport::BlockingRuntime* runtime_;
  static rpc::Server* server_;
};
transport::BlockingRuntime* PythonReadsOurRegistry::runtime_ = nullptr;
rpc::Server* PythonReadsOurRegistry::server_ = nullptr;

TEST_F(PythonReadsOurRegistry, TheShellsFetchAndTheSlowPathFindWhatWePublished) {
  const fs::path home = fresh_dir("py-home");
  auto r = run_command({reference_python(),
                        std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/registry_reader.py",
                        server_->address()},
                       std::chrono::seconds(120), {"HOME=" + home.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  const auto a = artifacts();
  EXPECT_EQ(out["namespace"], server_->registry_namespace());
  ASSERT_TRUE(out["services"].contains("RpcTest")) << r.out;
  const json& s = out["services"]["RpcTest"];
  EXPECT_EQ(s["contract_id"], a.contract_id);
  // Fast path (the shell's PeerConnection): manifests/<cid>.
  EXPECT_EQ(s["fast"], json::parse(a.manifest_json));
  // Slow path: the ArtifactRef 0.1.2's ArtifactRef.from_json accepts, in 0.1.2's key order.
  const std::string raw = s["artifact_raw"];
  auto ref = registry::ArtifactRef::from_json(raw);
  ASSERT_TRUE(ref.is_ok()) << raw;
  EXPECT_EQ(ref->to_json(), raw);
  EXPECT_EQ(ref->collection_format, "index");
  EXPECT_EQ(s["artifact"]["contract_id"], a.contract_id);
  // The collection: contract.bin, types/<hash>.bin…, manifest.json, as 0.1.2 orders it.
  std::vector<std::string> names;
  for (const auto& [name, bytes] : a.collection_entries()) names.push_back(name);
  EXPECT_EQ(s["collection_names"], json(names));
  EXPECT_EQ(s["contract_bin_blake3"], a.contract_id);
  EXPECT_EQ(s["types_match"], true);
  EXPECT_EQ(s["slow"], s["fast"]);
  EXPECT_EQ(s["version_pointer"], a.contract_id);
  // The shell cached what it fetched, keyed by contract id.
  EXPECT_TRUE(fs::exists(home / ".aster" / "cache" / "manifests" / (a.contract_id + ".json")));
  fs::remove_all(home);
}

TEST_F(PythonReadsOurRegistry, AsterShellOf012ListsOurMethodsFromTheRegistry) {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  ASSERT_NE(venv, nullptr);
  const fs::path home = fresh_dir("shell-home");  // empty cache: the schemas come from us
  const std::string cmd = "printf 'cd /services/RpcTest\\nls\\n' | " + std::string(venv) +
                          "/bin/aster shell " + server_->address();
  auto r = run_command({"bash", "-c", cmd}, std::chrono::seconds(120), {"HOME=" + home.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const auto& m : artifacts().manifest.methods) {
    EXPECT_NE(r.out.find(m.name), std::string::npos) << m.name << "\n" << r.out;
  }
  // The signature column comes from the manifest (the admission reply has no method list).
  EXPECT_NE(r.out.find("(EchoRequest)"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(home / ".aster" / "cache" / "manifests" /
                         (artifacts().contract_id + ".json")));
  fs::remove_all(home);
}

// Our session-scoped SessionTest through `aster call`: ours (types from this registry) opens a
// one-shot session for each pattern; aster-cli 0.1.2's opens a JSON-mode session for a unary
// call (contract.py `_call_command`). Each call is a fresh session: calls == 1.
TEST_F(PythonReadsOurRegistry, AsterCallOpensOneShotSessionsOnOurSessionService) {
  const fs::path home = fresh_dir("session-call-home");
  const std::vector<std::string> env = {"HOME=" + home.string()};
  auto call = [&](const std::string& method, const std::string& payload) {
    return run_command({kAster, "call", server_->address(), "SessionTest." + method, payload},
                       std::chrono::seconds(60), env);
  };
  auto documents = [](const std::string& out) {
    json docs = json::array();
    for (size_t start = 0, end; (end = out.find("\n}\n", start)) != std::string::npos;
         start = end + 3) {
      docs.push_back(json::parse(out.substr(start, end + 2 - start)));
    }
    return docs;
  };
  for (int i = 0; i < 2; ++i) {
    auto add = call("add", R"({"n":5})");
    ASSERT_EQ(add.exit_code, 0) << add.err;
    const json total = json::parse(add.out);
    EXPECT_EQ(total["total"], 5);
    EXPECT_EQ(total["calls"], 1);
  }
  auto count = call("count", R"({"n":3})");
  ASSERT_EQ(count.exit_code, 0) << count.err;
  EXPECT_EQ(documents(count.out), json::parse(R"([{"i":0},{"i":1},{"i":2}])"));
  auto sum = call("sum", R"([{"n":1},{"n":2}])");
  ASSERT_EQ(sum.exit_code, 0) << sum.err;
  EXPECT_EQ(json::parse(sum.out)["total"], 3);
  auto chat = call("chat", R"([{"message":"a"},{"message":"b"}])");
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  const json replies = documents(chat.out);
  ASSERT_EQ(replies.size(), 2u) << chat.out;
  EXPECT_EQ(replies[0]["message"], "a");
  EXPECT_EQ(replies[1]["message"], "b");
  auto fail = call("fail", R"({"code":9,"message":"nope"})");
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_EQ(fail.err, "Error: [FAILED_PRECONDITION] nope\n");
  // aster-cli 0.1.2's own `aster call`.
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  ASSERT_NE(venv, nullptr);
  auto theirs = run_command({std::string(venv) + "/bin/aster", "call", server_->address(),
                             "SessionTest.add", R"({"n":4})"},
                            std::chrono::seconds(120), env);
  ASSERT_EQ(theirs.exit_code, 0) << theirs.out << theirs.err;
  const json their_total = json::parse(theirs.out);
  EXPECT_EQ(their_total["total"], 4);
  EXPECT_EQ(their_total["calls"], 1);
  fs::remove_all(home);
}

TEST(OurRegistrySwitch, PublicationCanBeTurnedOff) {
  auto runtime = transport::BlockingRuntime::create().value();
  rpc::ServerOptions options;
  options.bind_v4 = "127.0.0.1:0";
  options.publish_registry = false;
  rpc::Server server(runtime->runtime(), options);
  server.add(aster::testing::make_rpc_test_impl());
  ASSERT_TRUE(runtime->run(server.start()).is_ok());
  asio::co_spawn(runtime->io(), server.serve(), asio::detached);
  EXPECT_EQ(server.registry_namespace(), "");
  // A consumer then learns "" and a registry read says so in one line.
  rpc::ClientOptions co;
  co.serve_content = true;
  rpc::Client client(runtime->runtime(), server.address(), co);
  runtime->run([&]() -> asio::awaitable<void> { co_await client.connect(); }());
  EXPECT_EQ(client.registry_namespace(), "");
  auto m = runtime->run(client.fetch_manifest(client.services().front()));
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("publishes no registry"), std::string::npos)
      << m.status().to_string();
  client.close();
  runtime->run(server.close());
}

// ---- we read 0.1.2's registry ----------------------------------------------------------------

class OurReaderOn012Registry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir("py-producer"));
    fs::create_directories(*dir_ / "collections");
    peer_ = new ReferencePeer("call_producer.py", {(*dir_ / "collections").string()});
  }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string ticket() { return peer_->ready_info()["ticket"]; }
  static std::vector<json> services() {
    std::vector<json> out;
    for (const auto& s : peer_->ready_info()["services"]) out.push_back(s);
    return out;
  }
  static fs::path* dir_;
  static ReferencePeer* peer_;
};
fs::path* OurReaderOn012Registry::dir_ = nullptr;
ReferencePeer* OurReaderOn012Registry::peer_ = nullptr;

TEST_F(OurReaderOn012Registry, ManifestsAndCollectionsAreWhat012Publishes) {
  auto runtime = transport::BlockingRuntime::create().value();
  rpc::ClientOptions co;
  co.serve_content = true;
  rpc::Client client(runtime->runtime(), ticket(), co);
  runtime->run([&]() -> asio::awaitable<void> { co_await client.connect(); }());
  ASSERT_EQ(client.registry_namespace().size(), 64u);
  struct Read {
    std::string manifest, source;
    std::vector<std::pair<std::string, std::vector<uint8_t>>> collection;
  };
  for (const auto& s : services()) {
    const std::string cid = s["contract_id"];
    const fs::path coll = s["collection"].get<std::string>();
    auto read = runtime->run([&]() -> asio::awaitable<Result<Read>> {
      Read out;
      ASTER_CO_ASSIGN_OR_RETURN(auto reader, co_await client.join_registry());
      ASTER_CO_ASSIGN_OR_RETURN(out.manifest, co_await reader.manifest(cid, &out.source));
      ASTER_CO_ASSIGN_OR_RETURN(out.collection, co_await reader.collection(cid));
      co_return out;
    }());
    ASSERT_TRUE(read.is_ok()) << s.dump() << ": " << read.status().to_string();
    EXPECT_EQ(read->source, registry::manifest_key(cid));  // the fast path
    EXPECT_EQ(read->manifest, read_text(coll / "manifest.json")) << s.dump();
    ASSERT_GE(read->collection.size(), 2u);
    EXPECT_EQ(read->collection.front().first, "contract.bin");
    EXPECT_EQ(read->collection.back().first, "manifest.json");
    for (const auto& [name, bytes] : read->collection) {
      const std::string file = read_text(coll / name);
      EXPECT_EQ(std::string(bytes.begin(), bytes.end()), file) << name;
    }
  }
  client.close();
}

TEST_F(OurReaderOn012Registry, AsterCallUsesTheRegistryWithNoLocalFilesAndCachesIt) {
  const fs::path home = fresh_dir("call-home");
  const std::vector<std::string> args = {
      kAster, "-v", "call", ticket(), "Catalog.echo", "--version", "2",
      R"({"name":"drill","kind":5,"blob":"AAE=","tags":["a"],"dims":{"width":1.5,"height":2},)"
      R"("parts":[{"sku":"s","count":3}],"note":"hé"})"};
  auto r = run_command(args, std::chrono::seconds(120), {"HOME=" + home.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("debug: types of Catalog v2 from the producer's registry"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;  // not the JSON fallback
  const json reply = json::parse(r.out);
  EXPECT_EQ(reply["kind"], 5);           // an enum by value, its ordinal travelled in Fory
  EXPECT_EQ(reply["blob"], "AAEA/w==");  // bytes, which 0.1.2's JSON path cannot carry
  EXPECT_EQ(reply["dims"], json({{"width", 3.0}, {"height", 4.0}}));
  // Cached as 0.1.2's shell caches it (plus our type blobs beside it) …
  std::string cid;
  for (const auto& s : services()) {
    if (s["version"] == 2) cid = s["contract_id"];
  }
  const fs::path cached = home / ".aster" / "cache" / "manifests" / (cid + ".json");
  ASSERT_TRUE(fs::exists(cached));
  EXPECT_EQ(json::parse(read_text(cached))["contract_id"], cid);
  EXPECT_FALSE(fs::is_empty(registry::type_cache_dir(home)));
  // … so the next call needs no registry, nested types included.
  auto again = run_command(args, std::chrono::seconds(120), {"HOME=" + home.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("debug: types of Catalog v2 from " + cached.string()),
            std::string::npos)
      << again.err;
  EXPECT_EQ(json::parse(again.out), reply);
  fs::remove_all(home);
}

TEST_F(OurReaderOn012Registry, AnUnknownContractIsOneClearError) {
  auto runtime = transport::BlockingRuntime::create().value();
  rpc::ClientOptions co;
  co.serve_content = true;
  rpc::Client client(runtime->runtime(), ticket(), co);
  runtime->run([&]() -> asio::awaitable<void> { co_await client.connect(); }());
  trust::ServiceSummary ghost = client.services().front();
  ghost.contract_id = std::string(64, 'f');
  auto m = runtime->run(client.fetch_manifest(ghost));
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound) << m.status().to_string();
  EXPECT_NE(m.status().message().find("manifests/" + ghost.contract_id), std::string::npos)
      << m.status().to_string();
  client.close();
}

}  // namespace
}  // namespace aster::interop
