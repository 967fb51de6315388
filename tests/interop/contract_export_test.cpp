// `aster contract export` / `aster contract verify` against aster-cli 0.1.2's own (issue 11,
// point 4): the manifest is made by 0.1.2's `aster contract gen` from Python services with
// nested messages, an enum, bytes, Optional, a map, non-ASCII text, timeouts, version 3 and a
// session-scoped service with two serialization modes (py/contract_export_service.py); both
// tools export it (an array manifest and a one-object manifest) and the files must be equal byte
// for byte, as must the lines printed. Verify: the same OK / MISMATCH and exit codes as 0.1.2;
// ours also recomputes the id from the file's contents with the type blobs of the collection
// 0.1.2 publishes (catching an edited method that 0.1.2's string comparison passes), and
// exports / verifies against a live 0.1.2 producer (py/call_producer.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reference_peer.hpp"

namespace aster::interop {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kAster = std::string(ASTER_BINARY_DIR) + "/cli/aster";
const std::string kPy = std::string(ASTER_SOURCE_DIR) + "/tests/interop/py";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string their_aster() {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  if (venv == nullptr) throw std::runtime_error("ASTER_REFERENCE_VENV is not set");
  return std::string(venv) + "/bin/aster";
}

// `cd DIR && argv…` (both tools write relative paths in their output).
CommandResult run_in(const fs::path& dir, const std::vector<std::string>& argv) {
  std::string cmd = "cd '" + dir.string() + "' && exec";
  for (const auto& a : argv) cmd += " '" + a + "'";
  return run_command({"bash", "-c", cmd}, std::chrono::seconds(120),
                     {"HOME=" + dir.string(), "PYTHONPATH=" + kPy});
}

class ContractExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("aster-contract-export-" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // 0.1.2's `aster contract gen`: two services → an array; one → an object.
    auto two = run_in(*dir_, {their_aster(), "contract", "gen", "--service",
                              "contract_export_service:Inventory", "--service",
                              "contract_export_service:Ledger", "--out", "both.json", "--semver",
                              "3.1.0-rc.1"});
    ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
    auto one = run_in(*dir_, {their_aster(), "contract", "gen", "--service",
                              "contract_export_service:Inventory", "--out",
                              ".aster/manifest.json"});
    ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
    // The collections a 0.1.2 producer publishes for them (types/<hash>.bin).
    auto coll = run_command({reference_python(), kPy + "/contract_export_service.py",
                             (*dir_ / "coll").string()});
    ASSERT_EQ(coll.exit_code, 0) << coll.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path* dir_;
};
fs::path* ContractExport::dir_ = nullptr;

TEST_F(ContractExport, FilesAndLinesAreByteForByteWhatAsterCli012Writes) {
  ASSERT_TRUE(json::parse(read_text(*dir_ / "both.json")).is_array());
  ASSERT_TRUE(json::parse(read_text(*dir_ / ".aster/manifest.json")).is_object());
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> files;
  };
  const std::vector<Case> cases = {
      {{"--manifest", "both.json", "-o", "%s"}, {"Inventory.aster.json", "Ledger.aster.json"}},
      {{"--out", "%s/"}, {"Inventory.aster.json"}},  // the default .aster/manifest.json
  };
  for (const auto& c : cases) {
    std::vector<std::string> theirs_argv = {their_aster(), "contract", "export"};
    std::vector<std::string> ours_argv = {kAster, "contract", "export"};
    for (const auto& a : c.args) {
      theirs_argv.push_back(a == "%s" ? "theirs" : a == "%s/" ? "theirs/" : a);
      ours_argv.push_back(a == "%s" ? "ours" : a == "%s/" ? "ours/" : a);
    }
    fs::remove_all(*dir_ / "theirs");
    fs::remove_all(*dir_ / "ours");
    auto theirs = run_in(*dir_, theirs_argv);
    auto ours = run_in(*dir_, ours_argv);
    ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    std::string expected_out = theirs.out;
    for (size_t at; (at = expected_out.find("theirs")) != std::string::npos;) {
      expected_out.replace(at, 6, "ours");
    }
    EXPECT_EQ(ours.out, expected_out);
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(*dir_ / "ours")) {
      (void)entry;
      ++files;
    }
    EXPECT_EQ(files, c.files.size());
    for (const auto& f : c.files) {
      const std::string want = read_text(*dir_ / "theirs" / f);
      ASSERT_FALSE(want.empty()) << f;
      EXPECT_EQ(read_text(*dir_ / "ours" / f), want) << f;
    }
  }
  // What the files hold: non-ASCII kept, version 3, methods sorted by name.
  const std::string inventory = read_text(*dir_ / "ours" / "Inventory.aster.json");
  EXPECT_NE(inventory.find("\"name\": \"größe\""), std::string::npos);
  EXPECT_NE(inventory.find("\"default_value\": \"café ☕\""), std::string::npos);
  const json doc = json::parse(inventory);
  EXPECT_EQ(doc["version"], 3);
  std::vector<std::string> names;
  for (const auto& m : doc["methods"]) names.push_back(m["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"get", "größe", "scan", "sync", "upload"}));
}

TEST_F(ContractExport, JsonListsTheFilesForScripts) {
  auto r = run_in(*dir_, {kAster, "contract", "export", "--manifest", "both.json", "-o",
                          "for-json", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json list = json::parse(r.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["service"], "Inventory");
  EXPECT_EQ(list[0]["version"], 3);
  EXPECT_EQ(list[0]["path"], "for-json/Inventory.aster.json");
  EXPECT_EQ(list[1]["contract_id"].get<std::string>().rfind("blake3:", 0), 0u);
}

TEST_F(ContractExport, VerifySaysWhatAsterCli012SaysAndRecomputesTheId) {
  auto exported = run_in(*dir_, {kAster, "contract", "export", "--manifest", "both.json", "-o",
                                 "v"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  for (const std::string file : {"v/Inventory.aster.json", "v/Ledger.aster.json"}) {
    auto theirs = run_in(*dir_, {their_aster(), "contract", "verify", file, "--manifest",
                                 "both.json"});
    auto ours = run_in(*dir_, {kAster, "contract", "verify", file, "--manifest", "both.json"});
    EXPECT_EQ(theirs.exit_code, 0) << theirs.err;
    EXPECT_EQ(ours.exit_code, 0) << ours.err;
    EXPECT_EQ(ours.out, theirs.out);
    EXPECT_EQ(ours.out.rfind("OK: ", 0), 0u) << ours.out;
  }
  // The id recomputed from the contents: version 3, nested types, enum, two serialization
  // modes, a session scope — with the type blobs of the published collections.
  auto inv = run_in(*dir_, {kAster, "contract", "verify", "v/Inventory.aster.json", "--types",
                            "coll/Inventory.v3"});
  EXPECT_EQ(inv.exit_code, 0) << inv.err;
  EXPECT_NE(inv.out.find("recomputed from the contents and coll/Inventory.v3"), std::string::npos)
      << inv.out;
  auto led = run_in(*dir_, {kAster, "contract", "verify", "v/Ledger.aster.json", "--types",
                            "coll/Ledger.v1/types", "--json"});
  EXPECT_EQ(led.exit_code, 0) << led.err;
  EXPECT_EQ(json::parse(led.out)["checks"][0]["match"], true) << led.out;

  // A file whose id was edited: MISMATCH on stderr and exit 1, as 0.1.2.
  json edited = json::parse(read_text(*dir_ / "v/Inventory.aster.json"));
  edited["contract_id"] = "blake3:" + std::string(64, 'a');
  std::ofstream(*dir_ / "edited-id.aster.json") << edited.dump(2) << "\n";
  auto theirs = run_in(*dir_, {their_aster(), "contract", "verify", "edited-id.aster.json",
                               "--manifest", "both.json"});
  auto ours = run_in(*dir_, {kAster, "contract", "verify", "edited-id.aster.json", "--manifest",
                             "both.json"});
  EXPECT_EQ(theirs.exit_code, 1);
  EXPECT_EQ(ours.exit_code, 1);
  EXPECT_EQ(ours.err, theirs.err);
  EXPECT_EQ(ours.err.rfind("MISMATCH: Inventory contract has changed.\n  Export:  blake3:aaaa", 0),
            0u)
      << ours.err;

  // A method edited but the id kept: 0.1.2 compares ids and says OK; the contents say otherwise.
  json method_edited = json::parse(read_text(*dir_ / "v/Inventory.aster.json"));
  method_edited["methods"][0]["idempotent"] = false;
  std::ofstream(*dir_ / "edited-method.aster.json") << method_edited.dump(2) << "\n";
  auto passes = run_in(*dir_, {their_aster(), "contract", "verify", "edited-method.aster.json",
                               "--manifest", "both.json"});
  EXPECT_EQ(passes.exit_code, 0) << passes.err;
  auto caught = run_in(*dir_, {kAster, "contract", "verify", "edited-method.aster.json",
                               "--manifest", "both.json", "--types", "coll/Inventory.v3"});
  EXPECT_EQ(caught.exit_code, 1);
  EXPECT_NE(caught.err.find("\n  Content: blake3:"), std::string::npos) << caught.err;
  EXPECT_NE(caught.err.find("(differs)"), std::string::npos) << caught.err;
}

TEST_F(ContractExport, BadInputIsOneClearErrorAndExit1) {
  auto missing = run_in(*dir_, {kAster, "contract", "export", "--manifest", "nope.json"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("error: manifest not found at nope.json", 0), 0u) << missing.err;
  std::ofstream(*dir_ / "no-service.json") << R"({"contract_id": "00"})";
  auto bad = run_in(*dir_, {kAster, "contract", "export", "--manifest", "no-service.json"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "error: no-service.json: $.service: missing or not a string\n");
  std::ofstream(*dir_ / "escape.json") << R"({"service": "../x", "contract_id": "00"})";
  auto escape = run_in(*dir_, {kAster, "contract", "export", "--manifest", "escape.json"});
  EXPECT_EQ(escape.exit_code, 1);
  EXPECT_NE(escape.err.find("cannot be a file name"), std::string::npos) << escape.err;
  auto not_export = run_in(*dir_, {kAster, "contract", "verify", "both.json"});
  EXPECT_EQ(not_export.exit_code, 1);
  EXPECT_EQ(not_export.err, "error: both.json: not an .aster.json file (no aster_contract)\n");
  auto usage = run_in(*dir_, {kAster, "contract", "verify"});
  EXPECT_EQ(usage.exit_code, 2);
  auto help = run_in(*dir_, {kAster, "contract", "export", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
}

// A live 0.1.2 producer: its registry's manifests exported equal 0.1.2's export of the
// collection's manifest.json; verify against what the producer offers.
TEST_F(ContractExport, FromALiveProducerAndVerifiedAgainstIt) {
  fs::create_directories(*dir_ / "peer-coll");
  ReferencePeer peer("call_producer.py", {(*dir_ / "peer-coll").string()});
  const std::string ticket = peer.ready_info()["ticket"];
  std::string collection, offered_id;
  for (const auto& s : peer.ready_info()["services"]) {
    if (s["name"] == "Catalog" && s["version"] == 2) {
      collection = s["collection"];
      offered_id = s["contract_id"];
    }
  }
  auto ours = run_in(*dir_, {kAster, "contract", "export", ticket, "Catalog", "--version", "2",
                             "-o", "live-ours"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  auto theirs = run_in(*dir_, {their_aster(), "contract", "export", "--manifest",
                               collection + "/manifest.json", "-o", "live-theirs"});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(read_text(*dir_ / "live-ours" / "Catalog.aster.json"),
            read_text(*dir_ / "live-theirs" / "Catalog.aster.json"));
  // Every service at once: Catalog is offered at two versions, which would share one file.
  auto all = run_in(*dir_, {kAster, "contract", "export", ticket, "-o", "live-all"});
  EXPECT_EQ(all.exit_code, 1);
  EXPECT_NE(all.err.find("export one with Catalog --version N"), std::string::npos) << all.err;
  auto ok = run_in(*dir_, {kAster, "contract", "verify", "live-ours/Catalog.aster.json", ticket,
                           "--types", collection});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("  offered by " + ticket), std::string::npos) << ok.out;
  json stale = json::parse(read_text(*dir_ / "live-ours" / "Catalog.aster.json"));
  stale["contract_id"] = "blake3:" + std::string(64, 'b');
  std::ofstream(*dir_ / "stale.aster.json") << stale.dump(2) << "\n";
  auto other = run_in(*dir_, {kAster, "contract", "verify", "stale.aster.json", ticket});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("\n  Peer:    blake3:" + offered_id), std::string::npos)
      << other.err;
}

}  // namespace
}  // namespace aster::interop
