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

const std::string kUpstream = std::string(ASTER_SOURCE_DIR) + "/tests/interop/upstream";
const std::string kUpstreamPath = "PYTHONPATH=" + kUpstream + "/examples/python";
const std::string kBuild = ASTER_BINARY_DIR;

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Our producer, started as a user would: its first stdout line is the address.
ReferencePeer start_our_producer() {
  PeerCommand command;
  command.argv = {kBuild + "/examples/mission_control/mission_control_producer", "--allow-exec"};
  return ReferencePeer(command);
}

// Upstream's agent.py (unary getStatus + submitLog, a 1000-item ingestMetrics client stream,
// all through 0.1.2's JSON proxy client), unchanged, against our producer.
TEST(MissionControl, UpstreamAgentAgainstOurProducer) {
  auto producer = start_our_producer();
  std::string address = producer.ready_info()["line"];
  auto run = run_command({reference_python(), "-m", "mission_control.agent", address},
                         std::chrono::seconds(90), {kUpstreamPath, "ASTER_RELAY_MODE=disabled"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "Status: {'agent_id': 'py-agent-1', 'status': 'running', "
                                "'uptime_secs': 3600}"))
      << run.out;
  EXPECT_TRUE(contains(run.out, "Log submitted")) << run.out;
  EXPECT_TRUE(contains(run.out, "Metrics accepted: 1000")) << run.out;
}

// Upstream's operator.py tails logs (server stream, JSON proxy) until interrupted; the agent's
// entry shows up in its output.
TEST(MissionControl, UpstreamOperatorTailsLogsFromOurProducer) {
  auto producer = start_our_producer();
  std::string address = producer.ready_info()["line"];
  auto agent = run_command({reference_python(), "-m", "mission_control.agent", address},
                           std::chrono::seconds(90), {kUpstreamPath, "ASTER_RELAY_MODE=disabled"});
  ASSERT_EQ(agent.exit_code, 0) << agent.err;
  // The operator never ends by itself: run_command stops it after the timeout.
  auto op = run_command({reference_python(), "-m", "mission_control.operator", address},
                        std::chrono::seconds(15),
                        {kUpstreamPath, "ASTER_RELAY_MODE=disabled", "PYTHONUNBUFFERED=1"});
  EXPECT_TRUE(contains(op.out, "Tailing logs")) << op.out << op.err;
  EXPECT_TRUE(contains(op.out, "[ info] py-agent-1: agent started")) << op.out << op.err;
}

// Upstream's benchmark.py (proxy and typed clients, unary, client streams of up to 10,000
// items, 100 concurrent calls), unchanged. Upstream documents `python benchmark.py`, but run
// as a script its directory shadows the standard library (types.py, operator.py), so it runs
// as a module here (docs/compatibility.md).
TEST(MissionControl, UpstreamBenchmarkAgainstOurProducer) {
  auto producer = start_our_producer();
  std::string address = producer.ready_info()["line"];
  auto run = run_command(
      {reference_python(), "-m", "examples.python.mission_control.benchmark", address},
      std::chrono::seconds(240), {"PYTHONPATH=" + kUpstream, "ASTER_RELAY_MODE=disabled"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "accepted=10000")) << run.out;
  EXPECT_TRUE(contains(run.out, "Typed client")) << run.out;
  EXPECT_TRUE(contains(run.out, "Memory:")) << run.out;
  std::printf("\n%s\n", run.out.c_str());
}

// Our consumer (every pattern and the AgentSession session) against upstream's Python server,
// unchanged (`python -m mission_control.server`), and against our producer.
void expect_consumer_output(const CommandResult& run) {
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "Status: agent_id=cpp-agent-1 status=running uptime_secs=3600"))
      << run.out;
  EXPECT_TRUE(contains(run.out, "Log submitted: accepted=true")) << run.out;
  EXPECT_TRUE(contains(run.out, "Tailed: [info] cpp-agent-1: agent started")) << run.out;
  EXPECT_TRUE(contains(run.out, "Metrics accepted: 1000")) << run.out;
  EXPECT_TRUE(contains(run.out, "Assignment: task_id=train-42 command=python train.py"))
      << run.out;
  EXPECT_TRUE(contains(run.out, "Heartbeat: task_id=continue")) << run.out;
  EXPECT_TRUE(contains(run.out, "Command: exit_code=0 stdout=hello from mission control"))
      << run.out;
}

TEST(MissionControl, OurConsumerAgainstUpstreamServer) {
  PeerCommand server;
  server.argv = {reference_python(), "-m", "mission_control.server"};
  server.env = {kUpstreamPath};
  ReferencePeer upstream(server);
  std::string address = upstream.ready_info()["line"];
  ASSERT_EQ(address.rfind("aster1", 0), 0u) << address;
  expect_consumer_output(run_command(
      {kBuild + "/examples/mission_control/mission_control_consumer", address},
      std::chrono::seconds(60), {"ASTER_RELAY_MODE=disabled"}));
}

TEST(MissionControl, OurConsumerAgainstOurProducer) {
  auto producer = start_our_producer();
  expect_consumer_output(run_command(
      {kBuild + "/examples/mission_control/mission_control_consumer",
       producer.ready_info()["line"].get<std::string>()},
      std::chrono::seconds(60), {"ASTER_RELAY_MODE=disabled"}));
}

// `aster call` with no local types (an empty HOME: the manifest and type blobs come from the
// producer's registry) on the session-scoped AgentSession.register, whose Heartbeat has a bare
// `list` field: 0.1.2's manifest calls it list[str], its TypeDef and struct hash say untyped.
// Against upstream's Python server and against ours: the same reply.
void expect_register_through_the_registry(const std::string& address) {
  const fs::path home = fs::temp_directory_path() / ("aster-mc-home-" + std::to_string(getpid()));
  fs::create_directories(home);
  auto run = run_command({kBuild + "/cli/aster", "call", address, "AgentSession.register",
                          R"({"agent_id": "a1", "capabilities": ["gpu"], "load_avg": 0.5})"},
                         std::chrono::seconds(60),
                         {"ASTER_RELAY_MODE=disabled", "HOME=" + home.string()});
  fs::remove_all(home);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, R"("task_id": "train-42")")) << run.out << run.err;
}

TEST(MissionControl, AsterCallWithABareListFieldAgainstUpstreamServer) {
  PeerCommand server;
  server.argv = {reference_python(), "-m", "mission_control.server"};
  server.env = {kUpstreamPath};
  ReferencePeer upstream(server);
  expect_register_through_the_registry(upstream.ready_info()["line"].get<std::string>());
}

TEST(MissionControl, AsterCallWithABareListFieldAgainstOurProducer) {
  auto producer = start_our_producer();
  expect_register_through_the_registry(producer.ready_info()["line"].get<std::string>());
}

}  // namespace
}  // namespace aster::interop
