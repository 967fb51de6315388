// The Mission Control producer in C++: aster-rpc's own example (aster-rpc@0972ac9:examples/
// python/mission_control/services.py) with the same contracts, so upstream's Python agent,
// operator and benchmark run against it unchanged. Dev mode (open gate) by default; with --auth,
// upstream's chapter 5 (`server.py --auth`): a closed gate whose root key comes from
// ASTER_ROOT_PUBKEY_FILE, ASTER_ROOT_PUBKEY or the producer peer of an `.aster-identity`
// (ASTER_IDENTITY_FILE or ./.aster-identity, which also gives the node key), and each method's roles as services_auth.py
// declares them (getStatus ops.status; tailLogs ops.logs or ops.admin; ingestMetrics and
// register ops.ingest; runCommand ops.admin). Prints its address (an aster1… ticket) on the
// first line of stdout, then serves until SIGINT/SIGTERM.
//
//   ./mission_control_producer               → aster1...
//   python -m mission_control.agent aster1...  (upstream's agent, unchanged)
//   ./mission_control_consumer aster1...     (ours)
//
// runCommand executes shell commands, as upstream's does (admin-only there, with auth): here
// only when started with --allow-exec; otherwise each command gets exit code 126 and a note.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <vector>

#include "aster/rpc/server.hpp"
#include "aster/rpc/session_impl.hpp"
#include "mission_control.hpp"

namespace {

using aster::Result;
using aster::Status;
using aster::rpc::CallContext;
using aster::rpc::ServerReader;
using aster::rpc::ServerWriter;
using namespace mission;  // NOLINT

int level_rank(std::string_view level) {
  static const std::map<std::string, int, std::less<>> ranks = {
      {"debug", 0}, {"info", 1}, {"warn", 2}, {"error", 3}};
  std::string lower(level);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = ranks.find(lower);
  return it == ranks.end() ? 0 : it->second;
}

// The shared service's state. Upstream keeps submitted logs in one asyncio.Queue (each entry
// reaches one tailer); here every tailer sees every entry submitted while it tails, plus the
// last kBacklog entries from before, and the backlog stays bounded when nobody tails.
class LogBoard {
 public:
  static constexpr size_t kBacklog = 1000;
  explicit LogBoard(asio::any_io_executor ex) : wake_(ex, asio::steady_timer::time_point::max()) {}

  void submit(LogEntry entry) {
    entries_.push_back(std::move(entry));
    ++end_;
    if (entries_.size() > kBacklog) entries_.pop_front();
    wake_.cancel();  // every waiting tailer looks again
  }
  uint64_t begin() const { return end_ - entries_.size(); }
  uint64_t end() const { return end_; }
  const LogEntry& at(uint64_t index) const { return entries_[index - begin()]; }
  // Until something is submitted. False when the call itself was cancelled (its consumer went
  // away and the server cancelled the handler).
  asio::awaitable<bool> wait() {
    std::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() == asio::cancellation_type::none;
  }

 private:
  std::deque<LogEntry> entries_;
  uint64_t end_ = 0;
  asio::steady_timer wake_;
};

struct Fleet {
  explicit Fleet(asio::any_io_executor ex) : logs(ex) {}
  LogBoard logs;
  std::vector<MetricPoint> metrics;  // kept, as upstream keeps them (bounded below)
};

// One agent's session (upstream's AgentSession instance).
struct Agent {
  explicit Agent(std::string peer) : peer(std::move(peer)) {}
  std::string peer;
  std::string agent_id;
  std::vector<std::string> capabilities;
};

std::vector<std::string> string_list(const aster::Value& v) {
  std::vector<std::string> out;
  if (v.kind() != aster::Value::Kind::kList) return out;
  for (const auto& item : v.as_list()) {
    if (item.kind() == aster::Value::Kind::kString) out.push_back(item.as_string());
  }
  return out;
}

CommandResult run_shell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    result.stderr_text = "cannot start /bin/sh";
    result.exit_code = 127;
    return result;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.stdout_text.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  bool allow_exec = false;
  bool auth = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--allow-exec") {
      allow_exec = true;
    } else if (a == "--auth") {
      auth = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << "Usage: mission_control_producer [--auth] [--allow-exec]\n"
                   "Serves MissionControl and AgentSession; prints the address on the first line.\n"
                   "  --auth        closed gate with roles (root key from ASTER_ROOT_PUBKEY_FILE,\n"
                   "                ASTER_ROOT_PUBKEY or ./.aster-identity), as upstream's\n"
                   "                server.py --auth\n"
                   "  --allow-exec  let runCommand run shell commands\n"
                   "Without --auth: dev mode, an open gate.\n";
      return 0;
    } else {
      std::cerr << "error: unknown argument " << a << " (see --help)\n";
      return 2;
    }
  }

  asio::io_context io;
  auto runtime = aster::transport::Runtime::create(io);
  if (!runtime) {
    std::cerr << "error: " << runtime.status().to_string() << "\n";
    return 1;
  }
  auto fleet = std::make_shared<Fleet>(io.get_executor());
  asio::thread_pool exec_pool(1);

  aster::rpc::ServiceImpl mc(auth ? MissionControl::auth_descriptor() : MissionControl::descriptor());
  mc.unary<StatusRequest, StatusResponse>(
      "getStatus", [](StatusRequest req, CallContext&) -> asio::awaitable<Result<StatusResponse>> {
        co_return StatusResponse{req.agent_id, "running", 3600};
      });
  mc.unary<LogEntry, SubmitLogResult>(
      "submitLog",
      [fleet](LogEntry entry, CallContext&) -> asio::awaitable<Result<SubmitLogResult>> {
        fleet->logs.submit(std::move(entry));
        co_return SubmitLogResult{true};
      });
  mc.server_stream<TailRequest, LogEntry>(
      "tailLogs",
      [fleet](TailRequest req, CallContext&, ServerWriter<LogEntry>& out) -> asio::awaitable<Status> {
        const int min_rank = level_rank(req.level);
        uint64_t next = fleet->logs.begin();
        while (true) {
          if (next < fleet->logs.begin()) next = fleet->logs.begin();
          while (next < fleet->logs.end()) {
            LogEntry entry = fleet->logs.at(next++);
            if (!req.agent_id.empty() && entry.agent_id != req.agent_id) continue;
            if (level_rank(entry.level) < min_rank) continue;
            ASTER_CO_RETURN_IF_ERROR(co_await out.write(entry));
          }
          if (!co_await fleet->logs.wait()) co_return Status(aster::StatusCode::kCancelled, "cancelled");
        }
      });
  mc.client_stream<MetricPoint, IngestResult>(
      "ingestMetrics",
      [fleet](ServerReader<MetricPoint>& in, CallContext&) -> asio::awaitable<Result<IngestResult>> {
        IngestResult result;
        while (auto point = co_await in.next()) {
          if (fleet->metrics.size() < 1'000'000) fleet->metrics.push_back(std::move(*point));
          ++result.accepted;
        }
        co_return result;
      });

  aster::rpc::SessionImpl<Agent> agents(auth ? AgentSession::auth_descriptor()
                                              : AgentSession::descriptor());
  agents.unary<Heartbeat, Assignment>(
      "register", [](Agent& self, Heartbeat hb, CallContext&) -> asio::awaitable<Result<Assignment>> {
        self.agent_id = hb.agent_id;
        self.capabilities = string_list(hb.capabilities);
        for (const auto& c : self.capabilities) {
          if (c == "gpu") co_return Assignment{"train-42", "python train.py"};
        }
        co_return Assignment{"idle", "sleep 60"};
      });
  agents.unary<Heartbeat, Assignment>(
      "heartbeat",
      [](Agent& self, Heartbeat hb, CallContext&) -> asio::awaitable<Result<Assignment>> {
        self.capabilities = string_list(hb.capabilities);
        co_return Assignment{"continue", ""};
      });
  agents.bidi<Command, CommandResult>(
      "runCommand",
      [allow_exec, &exec_pool, rt = &*runtime](Agent&, ServerReader<Command>& in, CallContext&,
                                               ServerWriter<CommandResult>& out)
          -> asio::awaitable<Status> {
        while (auto cmd = co_await in.next()) {
          CommandResult result;
          if (allow_exec) {
            // popen blocks: run it on the pool's thread, come back to ours to write. The way
            // back is a post from another thread, which the runtime's loop (asleep in the
            // bridge while idle) only sees once woken.
            auto home = co_await asio::this_coro::executor;
            co_await asio::post(exec_pool, asio::use_awaitable);
            result = run_shell(cmd->command);
            co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
                [&home, rt](auto back) {
                  asio::post(home, std::move(back));
                  rt->wake();
                },
                asio::use_awaitable);
          } else {
            result.stderr_text = "runCommand is disabled (start the producer with --allow-exec)";
            result.exit_code = 126;
          }
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(result));
        }
        co_return Status::ok();
      });

  aster::Server server(*runtime);
  server.add(std::move(mc));
  server.add(std::move(agents));

  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Status started = co_await server.start();
        if (!started.is_ok()) {
          std::cerr << "error: " << started.to_string() << "\n";
          exit_code = 1;
          io.stop();  // runtime->run() serves until the io_context is stopped
          co_return;
        }
        if (auth && !server.root_pubkey()) {
          // Every `requires` would refuse everyone: say why instead.
          std::cerr << "error: --auth needs the root public key: set ASTER_ROOT_PUBKEY_FILE "
                       "(aster keygen root writes one) or run on an .aster-identity enrolled "
                       "with --role producer\n";
          exit_code = 2;
          co_await server.close();
          io.stop();
          co_return;
        }
        std::cout << server.address() << std::endl;
        co_await server.serve();
      },
      asio::detached);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    asio::co_spawn(io, server.close(), [&](std::exception_ptr) { io.stop(); });
  });
  (void)runtime->run();  // the io_context, inside the bridge runtime (its default shape)
  exec_pool.join();
  runtime->shutdown();
  return exit_code;
}
