// Proof for issue 4: five services declared in C++ (contract_twins.hpp) and identically in
// Python with aster-rpc 0.1.2 (py/aster_twins.py). For each: the same contract_id, the same
// type blobs, and a manifest.json JSON-equal (and byte-equal) to the one the 0.1.2 runtime
// publishes; our parser reads the Python manifest back to the same model.
#include "contract_twins.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/contract/canonical_reader.hpp"
#include "aster/contract/contract.hpp"
#include "aster/contract/identity.hpp"
#include "aster/contract/manifest_types.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct PythonRun {
  int exit_code = -1;
  std::string output;
};

// Runs py/contract_publish.py with the reference venv's python.
PythonRun run_python(const std::string& script_and_args, const std::string& env = "") {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  EXPECT_NE(venv, nullptr) << "ASTER_REFERENCE_VENV is not set (tests/CMakeLists.txt sets it)";
  if (!venv) return {};
  std::string cmd = env + " '" + std::string(venv) + "/bin/python' '" + ASTER_SOURCE_DIR +
                    "/tests/interop/py/" + script_and_args;
  PythonRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

PythonRun run_publisher(const fs::path& out_dir, const std::string& module = "aster_twins") {
  return run_python("contract_publish.py' '" + out_dir.string() + "' 2>&1",
                    "ASTER_TWINS_MODULE=" + module);
}

class ContractTwins : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    out_dir_ = new fs::path(fs::temp_directory_path() /
                            ("aster-contract-twins-" + std::to_string(getpid())));
    fs::create_directories(*out_dir_);
    PythonRun run = run_publisher(*out_dir_);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    summary_ = new nlohmann::json(nlohmann::json::parse(run.output));
    PythonRun samples = run_python("fory_samples.py'");
    ASSERT_EQ(samples.exit_code, 0) << samples.output;
    samples_ = new nlohmann::json(nlohmann::json::parse(samples.output));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*out_dir_);
    delete out_dir_;
    delete summary_;
    delete samples_;
  }
  static fs::path* out_dir_;
  static nlohmann::json* summary_;
  static nlohmann::json* samples_;
};
nlohmann::json* ContractTwins::samples_ = nullptr;
fs::path* ContractTwins::out_dir_ = nullptr;
nlohmann::json* ContractTwins::summary_ = nullptr;

TEST_F(ContractTwins, FiveServicesCoverTheIssueMatrix) {
  auto services = twins::services();
  ASSERT_EQ(services.size(), 5u);
  std::set<aster::contract::MethodPattern> patterns;
  bool session = false;
  for (const auto& s : services) {
    session |= s.scope() == aster::contract::ScopeKind::kSession;
    for (const auto& m : s.methods()) patterns.insert(m.pattern);
  }
  EXPECT_EQ(patterns.size(), 4u);
  EXPECT_TRUE(session);
  EXPECT_EQ(summary_->size(), 5u);
}

TEST_F(ContractTwins, ContractIdsAndManifestsMatchPython) {
  using namespace aster::contract;  // NOLINT
  for (const auto& service : twins::services()) {
    SCOPED_TRACE(service.name());
    auto ours = build_contract_artifacts(service);
    ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
    ASSERT_TRUE(summary_->contains(service.name()));
    const auto& py = (*summary_)[service.name()];

    EXPECT_EQ(to_hex(ours->contract_bytes), py["contract_hex"].get<std::string>());
    EXPECT_EQ(ours->contract_id, py["contract_id"].get<std::string>());

    // Type blobs: same set of hashes and the same bytes (types/<hash>.bin).
    std::vector<std::string> our_hashes;
    for (const auto& t : ours->types) {
      std::string h = to_hex(t.hash);
      our_hashes.push_back(h);
      auto blob = read_text(*out_dir_ / service.name() / "types" / (h + ".bin"));
      auto bytes = canonical_bytes(t.type_def);
      EXPECT_EQ(blob, std::string(bytes.begin(), bytes.end())) << t.name;
    }
    std::sort(our_hashes.begin(), our_hashes.end());
    EXPECT_EQ(our_hashes, py["type_hashes"].get<std::vector<std::string>>());

    // manifest.json: JSON-equal to what the 0.1.2 runtime publishes, and in fact byte-equal.
    std::string py_manifest = read_text(*out_dir_ / (service.name() + ".manifest.json"));
    EXPECT_EQ(nlohmann::json::parse(ours->manifest_json), nlohmann::json::parse(py_manifest));
    EXPECT_EQ(ours->manifest_json, py_manifest);

    // Our parser reads the Python manifest to the same model we generate.
    auto parsed = parse_manifest(py_manifest);
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    EXPECT_EQ(*parsed, ours->manifest);
  }
}

// The shell/raw-transport path: parse the Python manifest (+ the published types/*.bin) in
// C++, build the request type from it, and encode the sample request with the dynamic codec:
// the bytes must equal pyfory's; decoding pyfory's bytes must give the Python value.
TEST_F(ContractTwins, ManifestTypesEncodeLikePyfory) {
  using namespace aster::contract;  // NOLINT
  ASSERT_EQ(samples_->size(), 11u);
  for (const auto& [key, sample] : samples_->items()) {
    SCOPED_TRACE(key);
    std::string service = key.substr(0, key.find('.'));
    auto manifest = parse_manifest(read_text(*out_dir_ / (service + ".manifest.json")));
    ASSERT_TRUE(manifest.is_ok()) << manifest.status().to_string();
    auto blobs = read_type_blobs(*out_dir_ / service / "types");
    ASSERT_TRUE(blobs.is_ok()) << blobs.status().to_string();
    ManifestTypes types({*manifest}, *blobs);
    auto type = types.find_type(sample["type"].get<std::string>());
    ASSERT_TRUE(type.is_ok()) << type.status().to_string();

    auto value = aster::codec::json_decode_value(sample["json"].dump(), **type);
    ASSERT_TRUE(value.is_ok()) << value.status().to_string();
    auto bytes = aster::codec::fory_encode_value(*value, **type);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    EXPECT_EQ(to_hex(*bytes), sample["hex"].get<std::string>());

    auto py_bytes = from_hex(sample["hex"].get<std::string>());
    auto decoded = aster::codec::fory_decode_value(*py_bytes, **type);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    auto json = aster::codec::json_encode_value(*decoded, type->get());
    ASSERT_TRUE(json.is_ok()) << json.status().to_string();
    EXPECT_EQ(nlohmann::json::parse(*json), sample["json"]);
  }
}

PythonRun run_shell(const std::string& cmd) {
  PythonRun run;
  FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// `aster fory decode` of pyfory's bytes prints the Python value; `aster fory encode` of that
// value prints pyfory's bytes (issue 4 item 4), using the Python manifest + types/*.bin.
TEST_F(ContractTwins, AsterForyCommandRoundTripsPyforyBytes) {
  const std::string aster = std::string(ASTER_BINARY_DIR) + "/cli/aster";
  ASSERT_TRUE(fs::exists(aster)) << aster;
  for (const auto& [key, sample] : samples_->items()) {
    SCOPED_TRACE(key);
    std::string service = key.substr(0, key.find('.'));
    std::string common = " --manifest '" + (*out_dir_ / (service + ".manifest.json")).string() +
                         "' --types '" + (*out_dir_ / service).string() + "' --type " +
                         sample["type"].get<std::string>();
    PythonRun dec =
        run_shell("'" + aster + "' fory decode" + common + " " + sample["hex"].get<std::string>());
    ASSERT_EQ(dec.exit_code, 0) << dec.output;
    EXPECT_EQ(nlohmann::json::parse(dec.output), sample["json"]);

    fs::path json_file = *out_dir_ / (key + ".json");
    std::ofstream(json_file) << sample["json"].dump();
    PythonRun enc =
        run_shell("'" + aster + "' fory encode" + common + " - < '" + json_file.string() + "'");
    ASSERT_EQ(enc.exit_code, 0) << enc.output;
    EXPECT_EQ(enc.output, sample["hex"].get<std::string>() + "\n");
  }
  // Bad input: one line, exit 1.
  PythonRun bad =
      run_shell("'" + aster + "' fory decode --manifest '" +
                (*out_dir_ / "Echo.manifest.json").string() + "' --type EchoRequest 02ff1d06");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
}

// The PEP 563 trap (aster-rpc@0972ac9:bindings/python/aster/decorators.py reads the raw return
// annotation; docs/contract.md): under `from __future__ import annotations` 0.1.2 hashes
// response types as zero bytes. The publisher script must refuse such a module loudly rather
// than hand us a contract_id that silently differs.
TEST_F(ContractTwins, PythonEmptyTypeTrapFailsLoudly) {
  fs::path dir = *out_dir_ / "pep563";
  fs::create_directories(dir);
  PythonRun run = run_publisher(dir, "aster_twins_pep563");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("annotations"), std::string::npos) << run.output;
}

}  // namespace
