// A Mission Control consumer in C++: every pattern of aster-rpc's example against any
// Mission Control producer (ours, or upstream's Python `python -m mission_control.server`):
// unary getStatus/submitLog, the tailLogs server stream, the ingestMetrics client stream, and
// an AgentSession (register, heartbeat, the runCommand bidi stream) with per-session state.
//
//   ./mission_control_consumer aster1...
#include <chrono>
#include <iostream>
#include <string>

#include "aster/rpc/client.hpp"
#include "aster/transport/blocking.hpp"
#include "mission_control.hpp"

using namespace mission;  // NOLINT

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<void> run(aster::transport::Runtime& runtime, std::string address) {
  aster::Client client(runtime, address);
  co_await client.connect();
  auto mc = co_await client.client<MissionControl>();

  // Chapter 1: status.
  StatusRequest status_req{"cpp-agent-1"};
  StatusResponse status = co_await mc.getStatus(std::move(status_req));
  std::cout << "Status: agent_id=" << status.agent_id << " status=" << status.status
            << " uptime_secs=" << status.uptime_secs << "\n";

  // Chapter 2: a log entry, then tail it back (tailLogs never ends by itself: stop after one).
  TailRequest tail_req{"cpp-agent-1", "info"};  // named: see docs/rpc.md on GCC 12
  auto tail = co_await mc.tailLogs(std::move(tail_req));
  LogEntry entry{now_seconds(), "info", "agent started", "cpp-agent-1"};
  SubmitLogResult submitted = co_await mc.submitLog(std::move(entry));
  std::cout << "Log submitted: accepted=" << (submitted.accepted ? "true" : "false") << "\n";
  if (auto got = co_await tail.next()) {
    std::cout << "Tailed: [" << got->level << "] " << got->agent_id << ": " << got->message
              << "\n";
  }
  tail.cancel();

  // Chapter 3: 1000 metric points in one client stream.
  auto ingest = co_await mc.ingestMetrics();
  for (int i = 0; i < 1000; ++i) {
    MetricPoint point{"cpu.usage", 42.0 + (i % 100) * 0.1, now_seconds(),
                      aster::Value::Map{{aster::Value("host"), aster::Value("cpp")}}};
    co_await ingest.write(point);
  }
  IngestResult ingested = co_await ingest.finish();
  std::cout << "Metrics accepted: " << ingested.accepted << "\n";

  // Chapter 4: a session — the producer keeps one AgentSession instance for it.
  auto agent = co_await client.session<AgentSession>();
  Heartbeat hello{"cpp-agent-1", aster::Value::List{aster::Value("gpu")}, 0.5};
  Assignment assignment = co_await agent.register_agent(std::move(hello));
  std::cout << "Assignment: task_id=" << assignment.task_id << " command=" << assignment.command
            << "\n";
  Heartbeat beat{"cpp-agent-1", aster::Value::List{aster::Value("gpu")}, 0.7};
  Assignment next = co_await agent.heartbeat(std::move(beat));
  std::cout << "Heartbeat: task_id=" << next.task_id << "\n";
  auto commands = co_await agent.runCommand();
  Command echo{"echo hello from mission control"};
  co_await commands.write(echo);
  co_await commands.done_writing();
  while (auto result = co_await commands.next()) {
    std::cout << "Command: exit_code=" << result->exit_code << " stdout=" << result->stdout_text
              << (result->stdout_text.ends_with("\n") ? "" : "\n");
  }
  co_await agent.close();
  client.close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cerr << "Usage: mission_control_consumer <aster1… address>\n";
    return argc == 2 ? 0 : 2;
  }
  auto rt = aster::transport::BlockingRuntime::create();
  if (!rt.is_ok()) {
    std::cerr << "Error: " << rt.status().to_string() << "\n";
    return 1;
  }
  try {
    (*rt)->run(run((*rt)->runtime(), argv[1]));
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
