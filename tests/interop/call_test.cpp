// Our `aster call` (issue 10, point 7) against a real aster-rpc 0.1.2 producer
// (py/call_producer.py): Catalog v2 with nested messages, an enum whose values are not its
// ordinals, bytes, lists and an Optional, encoded with Fory from the collection 0.1.2
// publishes; Catalog v1 with flat types; unary and server stream; errors and usage errors; the
// JSON-mode fallback; 0.1.2's shell manifest cache; and the same output as aster-cli 0.1.2's own
// `aster call` where both can make the call.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reference_peer.hpp"

namespace aster::interop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kAster = std::string(ASTER_BINARY_DIR) + "/cli/aster";

size_t lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

// Concatenated 2-space JSON documents, one per stream item: each ends with "}" at column 0.
std::vector<json> documents(const std::string& out) {
  std::vector<json> docs;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find("\n}\n", start);
    if (end == std::string::npos) break;
    docs.push_back(json::parse(out.substr(start, end + 2 - start)));
    start = end + 3;
  }
  return docs;
}

class AsterCall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("aster-call-" + std::to_string(getpid())));
    fs::create_directories(*dir_ / "collections");
    peer_ = new ReferencePeer("call_producer.py", {(*dir_ / "collections").string()});
  }
  // A HOME of its own for each test: a call that reads the registry caches the manifest
  // there, and a later test in the same process (the binary run without ctest) would find it.
  void SetUp() override {
    home_ = *dir_ / ("home-" + std::string(::testing::UnitTest::GetInstance()
                                               ->current_test_info()
                                               ->name()));
    fs::create_directories(home_);
  }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::string ticket() { return peer_->ready_info()["ticket"]; }
  static const json& service(int version) {
    for (const auto& s : peer_->ready_info()["services"]) {
      if (s["version"] == version) return s;
    }
    throw std::runtime_error("no Catalog v" + std::to_string(version));
  }
  static std::string collection(int version) { return service(version)["collection"]; }

  // `aster call TICKET args…` with HOME pointing at the test's own directory (no manifest
  // cache at the test's start) unless `env` says otherwise.
  static CommandResult call(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), {kAster, "call", ticket()});
    if (env.empty()) env.push_back("HOME=" + home_.string());
    return run_command(args, std::chrono::seconds(60), env);
  }

  static fs::path* dir_;
  static ReferencePeer* peer_;
  static inline fs::path home_;
};
fs::path* AsterCall::dir_ = nullptr;
ReferencePeer* AsterCall::peer_ = nullptr;

TEST_F(AsterCall, ForyFromTheCollectionCarriesNestedTypesEnumsBytesAndListsToVersion2) {
  auto r = call({"Catalog.echo", "--version", "2", "--collection", collection(2),
                 R"({"name":"drill","kind":5,"blob":"AAE=","tags":["a"],)"
                 R"("dims":{"width":1.5,"height":2},"parts":[{"sku":"s","count":3}],)"
                 R"("note":"hé"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  // 0.1.2's format: json.dumps(result, indent=2), ASCII only.
  EXPECT_EQ(r.out.rfind("{\n  \"name\": \"echo:drill\",\n  \"kind\": 5,\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\"note\": \"H\\u00c9\""), std::string::npos) << r.out;
  const json reply = json::parse(r.out);
  EXPECT_EQ(reply["kind"], 5);                 // Kind.KIT: by value, its ordinal 2 travelled
  EXPECT_EQ(reply["blob"], "AAEA/w==");        // b"\x00\x01" + b"\x00\xff", base64
  EXPECT_EQ(reply["tags"], json({"a", "seen"}));
  EXPECT_EQ(reply["dims"], json({{"width", 3.0}, {"height", 4.0}}));
  EXPECT_EQ(reply["parts"], json::parse(R"([{"sku":"s","count":3},{"sku":"extra","count":1}])"));
  EXPECT_EQ(reply["note"], "HÉ");
}

TEST_F(AsterCall, ServerStreamPrintsEveryItem) {
  auto r = call({"Catalog.list", "--version", "2", "--collection", collection(2),
                 R"({"item":{"name":"n"},"count":3})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto items = documents(r.out);
  ASSERT_EQ(items.size(), 3u) << r.out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(items[i]["name"], "n-" + std::to_string(i));
    EXPECT_EQ(items[i]["kind"], 2);
    EXPECT_EQ(items[i]["parts"][0]["count"], i);
    EXPECT_TRUE(items[i]["note"].is_null());
  }
}

TEST_F(AsterCall, AStreamErrorAfterItemsPrintsTheItemsThenTheError) {
  auto r = call({"Catalog.list", "--version", "2", "--collection", collection(2),
                 R"({"item":{"name":"n"},"count":3,"fail_at":1})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(documents(r.out).size(), 1u) << r.out;
  EXPECT_EQ(r.err, "Error: [FAILED_PRECONDITION] failed at 1\n");
}

TEST_F(AsterCall, RpcErrorsAreOneErrorLineAndExit1) {
  for (auto [code, name] : std::vector<std::pair<int, std::string>>{
           {5, "NOT_FOUND"}, {7, "PERMISSION_DENIED"}, {3, "INVALID_ARGUMENT"}}) {
    auto r = call({"Catalog.fail", "--version", "2", "--collection", collection(2),
                   R"({"code":)" + std::to_string(code) + R"(,"message":"no way"})"});
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(r.err, "Error: [" + name + "] no way\n");
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(AsterCall, MissingFieldsTakeTheDefaultsTheManifestDeclares) {
  // Greeting.times defaults to 1 (a Fory request carries every field: a zero would say 0);
  // ListRequest.fail_at defaults to -1.
  auto r = call({"Catalog.greet", "--version", "1", "--collection", collection(1),
                 R"({"name":"y"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["text"], "hello y");
  auto s = call({"Catalog.list", "--version", "2", "--collection", collection(2),
                 R"({"count":2})"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(documents(s.out).size(), 2u) << s.out;
}

// Several versions and no --version: v1, the version 0.1.2's `aster call` reaches, with a note.
TEST_F(AsterCall, SeveralVersionsOfferedCallV1AsPythonDoes) {
  auto r = call({"Catalog.greet", "--collection", collection(1), R"({"name":"x"})"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["text"], "hello x");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err,
            "note: the producer offers 'Catalog' in versions 2, 1: choose one with --version N; "
            "calling v1 as aster-cli 0.1.2 does\n");
  auto v2_only = call({"Catalog.echo", "--collection", collection(1), R"({"name":"x"})"});
  EXPECT_EQ(v2_only.exit_code, 1);
  EXPECT_NE(v2_only.err.find("Error: Catalog v1 has no method 'echo'"), std::string::npos)
      << v2_only.err;
  EXPECT_NE(v2_only.err.find("; Catalog is also offered in version 2: choose one with "
                             "--version N\n"),
            std::string::npos)
      << v2_only.err;
  auto v3 = call({"Catalog.greet", "--version", "3"});
  EXPECT_EQ(v3.exit_code, 1);
  EXPECT_NE(v3.err.find("'Catalog' v3 is not offered (versions offered: 2, 1)"),
            std::string::npos)
      << v3.err;
}

TEST_F(AsterCall, UnknownServiceAndMethodAreNamed) {
  auto r = call({"Nope.x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error: service 'Nope' is not offered by the producer (offered: Catalog v2, "
            "Catalog v1, Counter v1)\n");
  auto m = call({"Catalog.nope", "--version", "2", "--collection", collection(2)});
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_EQ(m.err,
            "Error: Catalog v2 has no method 'nope' (methods: collect, echo, fail, list, "
            "shout)\n");
  // Without a description the producer answers: 0.1.2's UNIMPLEMENTED trailer.
  auto j = call({"Catalog.nope", "--version", "1", "--no-registry"});
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_NE(j.err.find("Error: [UNIMPLEMENTED]"), std::string::npos) << j.err;
}

TEST_F(AsterCall, ARequestThatDoesNotFitTheTypeIsRefusedBeforeSending) {
  auto r = call({"Catalog.echo", "--version", "2", "--collection", collection(2),
                 R"({"nam":1})"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("Error: request for Catalog.echo (demo.catalog/Item)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'nam'"), std::string::npos) << r.err;
  auto e = call({"Catalog.echo", "--version", "2", "--collection", collection(2),
                 R"({"kind":"KIT"})"});  // a 0.1.2 manifest lists enum values, not names
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_NE(e.err.find("kind"), std::string::npos) << e.err;
}

TEST_F(AsterCall, UsageErrorsExit2) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"Catalog.greet", R"({"name":"x")"},  // not JSON
           {"Catalog", "{}"},                    // no method
           {"Catalog.", "{}"},
           {"Catalog.greet", "--version", "0"},
           {"Catalog.greet", "--serialization", "yaml"},
           {"Catalog.greet", "--deadline", "nan"}}) {
    auto r = call(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("(see 'aster call --help')"), std::string::npos) << r.err;
  }
  // Any JSON value is a request to 0.1.2 (a method may take `req: int`): whether it fits is the
  // method's to say.
  auto array = call({"Catalog.greet", "--version", "1", "[1,2]"});
  EXPECT_EQ(array.exit_code, 1) << array.err;
  EXPECT_NE(array.err.find("Catalog.greet is a unary method: it takes one request"),
            std::string::npos)
      << array.err;
  auto none = run_command({kAster, "call"});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  auto json_error = call({"Catalog.greet", R"({"name":)"});
  EXPECT_NE(json_error.err.find("error: invalid JSON payload: "), std::string::npos)
      << json_error.err;
}

// --no-registry: the producer publishes its registry, which `aster call` would read otherwise
// (registry_interop_test.cpp).
TEST_F(AsterCall, WithoutADescriptionItCallsInJsonModeAs012AndSaysSo) {
  auto r = call({"Catalog.greet", "--version", "1", "--no-registry", R"({"name":"x","times":2})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\n  \"text\": \"hello x hello x\"\n}\n");
  EXPECT_EQ(r.err.rfind("note: no published description of Catalog v1 found", 0), 0u) << r.err;
  auto s = call({"Catalog.count", "--version", "1", "--no-registry", R"({"name":"x","times":2})"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(documents(s.out).size(), 2u) << s.out;
  // 0.1.2's JSON path cannot carry bytes: its producer fails to write Catalog v2's reply.
  auto b = call({"Catalog.echo", "--version", "2", "--no-registry", R"({"name":"x"})"});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_NE(b.err.find("Error: [UNKNOWN] Object of type bytes is not JSON serializable"),
            std::string::npos)
      << b.err;
  // --serialization xlang refuses to guess.
  auto x = call({"Catalog.greet", "--version", "1", "--serialization", "xlang", "--no-registry"});
  EXPECT_EQ(x.exit_code, 1);
  EXPECT_NE(x.err.find("--collection DIR"), std::string::npos) << x.err;
}

TEST_F(AsterCall, ReadsTheManifestCacheOf012sShell) {
  const fs::path home = *dir_ / "cache-home";
  const fs::path cache = home / ".aster" / "cache" / "manifests";
  fs::create_directories(cache);
  fs::copy_file(fs::path(collection(1)) / "manifest.json",
                cache / (service(1)["contract_id"].get<std::string>() + ".json"),
                fs::copy_options::overwrite_existing);
  auto r = call({"-v", "Catalog.greet", "--version", "1", R"({"name":"y"})"},
                {"HOME=" + home.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["text"], "hello y");  // the declared default, times=1
  EXPECT_NE(r.err.find("debug: types of Catalog v1 from " + cache.string()), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
}

TEST_F(AsterCall, AManifestOfAnotherContractIsRefused) {
  std::ifstream in(fs::path(collection(1)) / "manifest.json");
  json manifest = json::parse(in);
  manifest["contract_id"] = std::string(64, '0');
  const fs::path file = *dir_ / "stale-manifest.json";
  std::ofstream(file) << manifest.dump(2);
  auto r = call({"Catalog.greet", "--version", "1", "--manifest", file.string(), "{}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is contract 0000"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the producer offers " + service(1)["contract_id"].get<std::string>()),
            std::string::npos)
      << r.err;
}

// Counter is session-scoped: each `aster call` opens a session, makes its call and closes it,
// as 0.1.2's does (contract.py `_call_command`) — so every call starts from a fresh total —
// and, with the manifest from the producer's registry, in every pattern (0.1.2: unary only).
TEST_F(AsterCall, SessionScopedServicesGetAOneShotSessionInEveryPattern) {
  for (int i = 0; i < 2; ++i) {
    auto r = call({"Counter.add", R"({"times":2})"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "{\n  \"text\": \"2\"\n}\n");
  }
  auto s = call({"Counter.upto", R"({"name":"u","times":3})"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(documents(s.out), json::parse(R"([{"text":"u 0"},{"text":"u 1"},{"text":"u 2"}])"));
  auto c = call({"Counter.add_all", R"([{"times":2},{"times":5}])"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(json::parse(c.out), json::parse(R"({"text":"7"})"));
  auto b = call({"Counter.running", R"([{"name":"a","times":2},{"name":"b","times":5}])"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(documents(b.out), json::parse(R"([{"text":"a=2"},{"text":"b=7"}])"));
  auto e = call({"Counter.running", R"([{"name":"a","times":2},{"name":"b","times":-1}])"});
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(documents(e.out).size(), 1u) << e.out;
  EXPECT_EQ(e.err, "Error: [OUT_OF_RANGE] negative times for b\n");
  auto unknown = call({"Counter.nope", "{}"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("has no method 'nope' (methods: "), std::string::npos)
      << unknown.err;
}

// Without a description: 0.1.2's JSON-mode session (one unary call), the same output as
// aster-cli 0.1.2's own `aster call` on the same session-scoped service.
TEST_F(AsterCall, SessionScopedInJsonModePrintsWhatAsterCli012Prints) {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  ASSERT_NE(venv, nullptr);
  const fs::path home = *dir_ / "json-session-home";  // no manifest cache
  fs::create_directories(home);
  auto ours = call({"Counter.add", "--no-registry", R"({"times":3})"}, {"HOME=" + home.string()});
  auto theirs = run_command({std::string(venv) + "/bin/aster", "call", ticket(), "Counter.add",
                             R"({"times":3})"},
                            std::chrono::seconds(60), {"HOME=" + home.string()});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(ours.out, "{\n  \"text\": \"3\"\n}\n");
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.err.rfind("note: no published description of Counter v1 found", 0), 0u)
      << ours.err;
}

TEST_F(AsterCall, ClientStreamSendsEachElementOfAnArray) {
  auto r = call({"Catalog.collect", "--version", "2", "--collection", collection(2),
                 R"([{"sku":"a","count":1},{"sku":"b"}])"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json reply = json::parse(r.out);
  EXPECT_EQ(reply["name"], "collected 2");
  EXPECT_EQ(reply["blob"], "Ag==");
  EXPECT_EQ(reply["parts"], json::parse(R"([{"sku":"a","count":1},{"sku":"b","count":0}])"));
  // One object is a stream of one request, as 0.1.2's aster call sends it.
  auto one = call({"Catalog.collect", "--version", "2", "--collection", collection(2),
                   R"({"sku":"x"})"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(json::parse(one.out)["name"], "collected 1");
}

TEST_F(AsterCall, BidiPrintsEveryReply) {
  auto r = call({"Catalog.shout", "--version", "2", "--collection", collection(2),
                 R"([{"sku":"a","count":1},{"sku":"b","count":2}])"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto items = documents(r.out);
  ASSERT_EQ(items.size(), 2u) << r.out;
  EXPECT_EQ(items[0], json::parse(R"({"sku":"A","count":10})"));
  EXPECT_EQ(items[1], json::parse(R"({"sku":"B","count":20})"));
  auto e = call({"Catalog.shout", "--version", "2", "--collection", collection(2),
                 R"([{"sku":"a","count":1},{"sku":"b","count":-1}])"});
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(documents(e.out).size(), 1u) << e.out;
  EXPECT_EQ(e.err, "Error: [OUT_OF_RANGE] negative count for b\n");
}

TEST_F(AsterCall, AnArrayIsOnlyForStreamsOfRequests) {
  auto r = call({"Catalog.echo", "--version", "2", "--collection", collection(2), "[{}]"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error: Catalog.echo is a unary method: it takes one request (a JSON object), not an "
            "array\n");
  auto untyped = call({"Catalog.greet", "--version", "1", "--no-registry", "[{}]"});
  EXPECT_EQ(untyped.exit_code, 1);
  EXPECT_NE(untyped.err.find("a list of requests needs the service's description"),
            std::string::npos)
      << untyped.err;
}

TEST_F(AsterCall, ReadsTheRequestFromStdin) {
  const std::string cmd = "printf '%s' '{\"item\":{\"name\":\"piped\"},\"count\":1}' | " +
                          kAster + " call " + ticket() + " Catalog.list --version 2 " +
                          "--collection " + collection(2) + " -";
  auto r = run_command({"bash", "-c", cmd});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto items = documents(r.out);
  ASSERT_EQ(items.size(), 1u) << r.out;
  EXPECT_EQ(items[0]["name"], "piped-0");
}

TEST(AsterCallNoPeer, AnUnreachableProducerIsOneErrorLine) {
  // A valid ed25519 key nothing listens for (relays off: no way to reach it).
  const std::string id = "b83c22e4c752a1831a21fe131444864bb8510567856421edd6f313322c20c1d7";
  auto r = run_command({kAster, "call", id, "HelloService.say_hello", "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("Error: ", 0), 0u) << r.err;
  auto bad = run_command({kAster, "call", "aster1notbase58!", "HelloService.say_hello"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err.rfind("Error: invalid producer address: ", 0), 0u) << bad.err;
}

// An ordinary 0.1.2 service (plain dataclasses, default tags) whose request type has a
// datetime and a dict[str, list[str]]: 0.1.2 publishes neither field's wire type, so Fory
// cannot encode it; `aster call` says which field and calls in JSON mode, as 0.1.2 does, with
// the pattern the manifest gives (client stream and bidi included). Its plain method stays
// on Fory. The description comes from the producer's registry.
TEST_F(AsterCall, UnpublishedFieldTypesFallBackToJsonMode) {
  ReferencePeer ledger("unpublished_types_producer.py", {});
  const std::string addr = ledger.ready_info()["ticket"];
  const fs::path home = *dir_ / "ledger-home";
  fs::create_directories(home);
  auto ledger_call = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {kAster, "call", addr});
    return run_command(args, std::chrono::seconds(60), {"HOME=" + home.string()});
  };
  auto r = ledger_call({"Ledger.record", R"({"memo":"a","when":"2026-01-02T03:04:05Z",)"
                                         R"("groups":{"g":["x","y"]},"n":1})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out),
            json::parse(R"({"memo":"A","when":null,"groups":{"g":["x","y"]},"n":2})"));
  EXPECT_EQ(r.err.rfind("note: Ledger v4.record request type __main__.Entry: __main__/Entry.when: "
                        "0.1.2 publishes this field's type neither in the contract (ANY) nor in "
                        "the manifest", 0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("; calling in JSON mode as aster-cli 0.1.2 does\n"), std::string::npos)
      << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;

  auto batch = ledger_call({"Ledger.batch", R"([{"memo":"a"},{"memo":"b","n":3}])"});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_EQ(json::parse(batch.out)["memo"], "a,b");
  EXPECT_EQ(json::parse(batch.out)["n"], 2);

  auto replay = ledger_call({"Ledger.replay", R"([{"memo":"a","n":1},{"memo":"b","n":2}])"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  auto replies = documents(replay.out);
  ASSERT_EQ(replies.size(), 2u) << replay.out;
  EXPECT_EQ(replies[1]["n"], 20);

  auto unary_array = ledger_call({"Ledger.record", R"([{"memo":"a"}])"});
  EXPECT_EQ(unary_array.exit_code, 1);
  EXPECT_NE(unary_array.err.find("Error: Ledger.record is a unary method: it takes one request"),
            std::string::npos)
      << unary_array.err;

  auto note = ledger_call({"Ledger.note", R"({"text":"hi"})"});
  ASSERT_EQ(note.exit_code, 0) << note.err;
  EXPECT_TRUE(note.err.empty()) << note.err;  // described: Fory, no note
  // Its `tone` default is written "Tone.LOUD" (a plain Enum's str()): the member "loud".
  EXPECT_EQ(json::parse(note.out), json::parse(R"({"text":"hi!","n":1,"tone":"loud"})"));

  // Replies annotated with builtins: Fory, read by the type ids the reply carries.
  auto count = ledger_call({"Ledger.count", R"({"n":21})"});
  ASSERT_EQ(count.exit_code, 0) << count.err;
  EXPECT_TRUE(count.err.empty()) << count.err;
  EXPECT_EQ(json::parse(count.out), 42);
  auto all = ledger_call({"Ledger.echo_all", R"({"text":"a","tone":"quiet"})"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(all.err.empty()) << all.err;
  EXPECT_EQ(json::parse(all.out),
            json::parse(R"([{"text":"a","n":0,"tone":"quiet"},{"text":"second","n":2,)"
                        R"("tone":"quiet"}])"));

  // A builtin request (`n: int`): the JSON value given is the request, as 0.1.2 sends it.
  auto square = ledger_call({"Ledger.square", "7"});
  ASSERT_EQ(square.exit_code, 0) << square.err;
  EXPECT_EQ(json::parse(square.out), 49);
  EXPECT_EQ(square.err,
            "note: Ledger v4.square request type int: a Python builtin, sent as the JSON value "
            "given; calling in JSON mode as aster-cli 0.1.2 does\n");
  auto not_an_entry = ledger_call({"Ledger.note", "7"});
  EXPECT_EQ(not_an_entry.exit_code, 1);
  EXPECT_EQ(not_an_entry.err,
            "Error: request for Ledger.note (__main__/Note): json decode: expected struct, got 7\n");

  // A set[str] field, "string" in 0.1.2's manifest and a set in its type blob: Fory.
  auto label = ledger_call({"Ledger.label", R"({"name":"a","labels":["y","x"]})"});
  ASSERT_EQ(label.exit_code, 0) << label.err;
  EXPECT_EQ(json::parse(label.out), json::parse(R"({"name":"a:x,y","labels":["seen"]})"));
  EXPECT_EQ(label.err.find("note:"), std::string::npos) << label.err;

  // describe lists them as the method's reply, not among the service's types.
  auto described = run_command({kAster, "service", "describe", addr, "Ledger"},
                               std::chrono::seconds(60), {"HOME=" + home.string()});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_NE(described.out.find("echo_all (unary)  (Note) ->list"), std::string::npos)
      << described.out;
  EXPECT_EQ(described.out.find("── int\n"), std::string::npos) << described.out;
  // The set[str] field: "string" in the manifest, its type from the type blob.
  EXPECT_NE(described.out.find("labels: set[string]"), std::string::npos) << described.out;
  EXPECT_EQ(described.out.find("── list\n"), std::string::npos) << described.out;

  // The same in a one-shot session.
  auto tally = ledger_call({"Tally.notes", R"({"text":"t","n":1})"});
  ASSERT_EQ(tally.exit_code, 0) << tally.err;
  EXPECT_EQ(json::parse(tally.out),
            json::parse(R"([{"text":"t0","n":0,"tone":"loud"},{"text":"t1","n":0,)"
                        R"("tone":"loud"}])"));

  // --serialization json: the same untyped JSON call; xlang does not fall back: the same
  // reason, as the error.
  auto json_mode = ledger_call({"Ledger.record", "--serialization", "json", R"({"memo":"j"})"});
  ASSERT_EQ(json_mode.exit_code, 0) << json_mode.err;
  EXPECT_EQ(json::parse(json_mode.out)["memo"], "J");
  auto xlang = ledger_call({"Ledger.record", "--serialization", "xlang", R"({"memo":"a"})"});
  EXPECT_EQ(xlang.exit_code, 1);
  EXPECT_NE(xlang.err.find("__main__/Entry.when: 0.1.2 publishes this field's type"),
            std::string::npos)
      << xlang.err;

  // A JSON-only 0.1.2 service (its summary lists no modes, its manifest lists "json") is
  // called in JSON mode: unary and server stream, typed from the manifest.
  auto write = ledger_call({"Journal.write", R"({"title":"t","mood":1,"lines":["a"]})"});
  ASSERT_EQ(write.exit_code, 0) << write.err;
  EXPECT_EQ(json::parse(write.out),
            json::parse(R"({"title":"T","mood":1,"lines":["a","written"]})"));
  auto read = ledger_call({"Journal.read", R"({"title":"p"})"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  auto pages = documents(read.out);
  ASSERT_EQ(pages.size(), 3u) << read.out;
  EXPECT_EQ(pages[2]["title"], "p2");
  EXPECT_EQ(pages[2]["mood"], 1);
}

// Where both can make the call (a v1 service, no bytes), our output is 0.1.2's, byte for byte.
TEST_F(AsterCall, PrintsWhatAsterCli012Prints) {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  ASSERT_NE(venv, nullptr);
  // A producer offering only v1, which 0.1.2 can call.
  ReferencePeer hello("hello_producer.py", {});
  const std::string addr = hello.ready_info()["ticket"];
  const std::string request = R"({"name": "Zoë \"quoted\" \\ \u263a"})";
  auto theirs = run_command({std::string(venv) + "/bin/aster", "call", addr,
                             "HelloService.say_hello", request});
  auto ours = run_command({kAster, "call", addr, "HelloService.say_hello", "--no-registry",
                           request},
                          std::chrono::seconds(60), {"HOME=" + home_.string()});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, theirs.out);
  auto their_error = run_command({std::string(venv) + "/bin/aster", "call", addr,
                                  "HelloService.nope", "{}"});
  auto our_error = run_command({kAster, "call", addr, "HelloService.nope", "--no-registry", "{}"},
                               std::chrono::seconds(60), {"HOME=" + home_.string()});
  EXPECT_EQ(their_error.exit_code, 1);
  EXPECT_EQ(our_error.exit_code, 1);
  // Both: `Error: [UNIMPLEMENTED] …` (ours after the JSON-mode note).
  EXPECT_EQ(their_error.err.rfind("Error: [UNIMPLEMENTED]", 0), 0u) << their_error.err;
  EXPECT_NE(our_error.err.find("\nError: [UNIMPLEMENTED]"), std::string::npos) << our_error.err;
}

}  // namespace
}  // namespace aster::interop
