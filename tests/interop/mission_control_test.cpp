// examples/mission_control against aster-rpc's own mission_control example at the 0.1.2
// commit (vendored unchanged in tests/interop/upstream/): equal contract ids and manifests,
// upstream's Python agent, operator and benchmark against our producer, and our consumer
// against upstream's Python server.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/contract/contract.hpp"
#include "aster/hex.hpp"
#include "mission_control.hpp"
#include "reference_peer.hpp"

namespace fs = std::filesystem;

namespace aster::interop {
namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(MissionControlContract, IdsAndManifestsEqualUpstream) {
  fs::path out = fs::temp_directory_path() / ("aster-mission-" + std::to_string(getpid()));
  fs::create_directories(out);
  auto run = run_command({reference_python(),
                          std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/contract_publish.py",
                          out.string()},
                         std::chrono::seconds(60), {"ASTER_TWINS_MODULE=upstream_mission_control"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto summary = nlohmann::json::parse(run.out);
  for (const auto* desc : {&mission::MissionControl::descriptor(),
                           &mission::AgentSession::descriptor()}) {
    SCOPED_TRACE(desc->name());
    auto ours = contract::build_contract_artifacts(*desc);
    ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
    ASSERT_TRUE(summary.contains(desc->name()));
    EXPECT_EQ(ours->contract_id, summary[desc->name()]["contract_id"].get<std::string>());
    EXPECT_EQ(ours->manifest_json, read_text(out / (desc->name() + ".manifest.json")));
  }
  fs::remove_all(out);
}

}  // namespace
}  // namespace aster::interop
