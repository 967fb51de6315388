// bench/transport: the transport floor. Runs, in one process and one run, the same three
// workloads over (1) iroh QUIC through the C++ transport and the Rust bridge, (2) raw iroh
// (bench/transport/raw_iroh: the same workloads in Rust on the same pins, as a subprocess) and
// (3) plain TCP loopback with Asio, in interleaved rounds, and prints medians with ratios:
//   1. round-trip latency p50/p99: 64-byte ping-pong on one stream / one connection;
//   2. requests/s with 64 in flight: iroh opens one bidi stream per request (64 B + FIN; the
//      server reads to end, answers + FIN) as Aster unary calls do; TCP has no streams, so 64
//      connections do 64-byte ping-pongs; plus CPU time per request (whole process);
//   3. bulk MB/s: 256 MiB one way on one stream / connection, then a 1-byte ack.
// All C++ runs on one io_context thread, by default the bridge's too (--shape shared, the
// runtime's default); --shape current|multi:N gives the bridge thread(s) of its own.
// Usage: aster_transport_bench [--json] [--rounds 3] [--requests 20000] [--bulk-mib 256]
//                              [--shape shared|current|multi:N] [--no-defer] [--no-hold] [--spin-us N]
//                              [--drive-batch N]
//                              [--raw PATH]
//                              [--only bridge|raw|tcp]   (one side alone, for profilers)
//                              [--serve | --connect ADDR] (bridge echo in two processes)
#include <algorithm>
#include <asio/async_result.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "aster/transport/blocking.hpp"

namespace {

using namespace aster;
using namespace aster::transport;
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

constexpr size_t kMsg = 64;
constexpr int kInFlight = 64;
constexpr int kLatencyRounds = 5000;

struct Figures {
  double p50_us = 0, p99_us = 0, stream_p50_us = 0, rps = 0, mbps = 0, cpu_us_per_req = 0;
  bool ok = true;
  std::string error;
};

// User + system CPU time of this process (all threads) in µs (getrusage(2)).
double cpu_us() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1)))];
}

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

// Counts down; the coroutine in wait() wakes at zero.
class Countdown {
 public:
  Countdown(asio::any_io_executor ex, int n) : ex_(std::move(ex)), n_(n) {}
  void done() {
    if (--n_ == 0 && waiter_) {
      asio::post(ex_, [w = std::move(waiter_)] { w->resume(); });
    }
  }
  asio::awaitable<void> wait() {
    if (n_ <= 0) co_return;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](auto handler) {
          waiter_ = std::make_unique<WaiterOf<decltype(handler)>>(std::move(handler));
        },
        asio::use_awaitable);
  }

 private:
  // Not an asio::steady_timer: a timer creates Asio's reactor, whose epoll_wait the shared
  // shape's io_context::poll() then runs every time the handler queue comes round (0.24 per
  // request in `--only bridge --shape shared`), a cost of this benchmark's waiting that raw
  // iroh does not pay (docs/transport.md "The ABI's floor").
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void resume() = 0;
  };
  template <typename H>
  struct WaiterOf final : Waiter {
    explicit WaiterOf(H h) : handler(std::move(h)) {}
    void resume() override { std::move(handler)(); }
    H handler;
  };
  asio::any_io_executor ex_;
  int n_;
  std::unique_ptr<Waiter> waiter_;
};

// ---- iroh -----------------------------------------------------------------------------------

asio::awaitable<void> quic_echo_stream(BidiStream s) {
  for (;;) {
    auto c = co_await s.recv.read();
    if (!c) co_return;
    if (c->fin()) {
      (void)s.send.finish();
      co_return;
    }
    if (!(co_await s.send.write(c->bytes()))) co_return;
  }
}

// Bulk sink: counts to FIN, then acknowledges with one byte.
asio::awaitable<void> quic_sink_stream(BidiStream s) {
  for (;;) {
    auto c = co_await s.recv.read();
    if (!c) co_return;
    if (c->fin()) break;
  }
  uint8_t ack = 1;
  (void)co_await s.send.write_and_finish({&ack, 1});
}

// A stream's bytes up to its FIN are usually all here when it is accepted or opened (they came
// with it): the callers take them with try_read_with_fin, without a coroutine, as the RPC layer
// takes what is buffered before it waits (wire::FrameReader::buffered). Otherwise: the bytes
// taken so far (`got`) and the rest, read to the end.
asio::awaitable<Result<std::vector<uint8_t>>> read_rest(RecvStream& r, std::vector<uint8_t> got) {
  ASTER_CO_ASSIGN_OR_RETURN(Chunk rest, co_await r.read_all((1 << 16) - got.size()));
  got.insert(got.end(), rest.bytes().begin(), rest.bytes().end());
  co_return got;
}

// The request/answer streams of one connection are served by answer loops, as aster::Server
// serves calls (src/rpc/server.cpp `call_loop`): each waits in accept_bi, answers the stream
// it gets and waits again, so a request costs no co_spawn of its own; a loop that takes a
// stream while no other waits starts another first.
struct AnswerLoops {
  explicit AnswerLoops(Connection c) : conn(std::move(c)) {}
  Connection conn;
  size_t accepting = 0;
};

asio::awaitable<void> quic_answer_loop(std::shared_ptr<AnswerLoops> loops) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    ++loops->accepting;
    // As aster::Server's call loops take streams: one that is here already without a wait.
    std::optional<Result<BidiStream>> taken = loops->conn.accept_bi_now();
    if (!taken) {
      auto accepting = loops->conn.accept_bi();  // named: no temporary across co_await
      taken.emplace(co_await std::move(accepting));
    }
    Result<BidiStream>& s = *taken;
    --loops->accepting;
    if (!s) co_return;
    if (loops->accepting == 0) asio::co_spawn(ex, quic_answer_loop(loops), asio::detached);
    auto now = s->recv.try_read_with_fin(1 << 16);
    if (!now) continue;
    if (*now && (*now)->fin()) {
      // As aster::Server answers (Dispatcher::serve_stream): no coroutine frame for a write
      // that completes at once.
      if (!s->send.start_write_and_finish((*now)->bytes())) {
        auto waiting = s->send.write_pending();
        (void)co_await std::move(waiting);
      }
      continue;
    }
    std::vector<uint8_t> got;
    if (*now) got.assign((*now)->bytes().begin(), (*now)->bytes().end());
    auto req = co_await read_rest(s->recv, std::move(got));
    if (!req) continue;
    (void)co_await s->send.write_and_finish(*req);
  }
}

asio::awaitable<void> quic_serve_connection(Connection conn) {
  auto ex = co_await asio::this_coro::executor;
  const std::string alpn = conn.alpn();
  if (alpn == "bench/rpc") {
    co_await quic_answer_loop(std::make_shared<AnswerLoops>(std::move(conn)));
    co_return;
  }
  for (;;) {
    auto s = co_await conn.accept_bi();
    if (!s) co_return;
    if (alpn == "bench/bulk") {
      asio::co_spawn(ex, quic_sink_stream(std::move(*s)), asio::detached);
    } else {
      asio::co_spawn(ex, quic_echo_stream(std::move(*s)), asio::detached);
    }
  }
}

asio::awaitable<void> quic_server(std::shared_ptr<Endpoint> ep) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    auto c = co_await ep->accept();
    if (!c) co_return;
    asio::co_spawn(ex, quic_serve_connection(std::move(*c)), asio::detached);
  }
}

// The client side of one unary call: the request and the whole answer in one operation
// (Connection::try_call; no stream objects when the answer comes whole with the open, as a
// short one does). Without stream credit it waits in open_bi_with, as the RPC client does.
asio::awaitable<Status> quic_request(Connection* conn, std::vector<uint8_t>* msg) {
  ASTER_CO_ASSIGN_OR_RETURN(std::optional<Chunk> answer, co_await conn->try_call(*msg, 1 << 16, 0));
  size_t back = 0;
  if (answer) {
    back = answer->size();
  } else {
    ASTER_CO_ASSIGN_OR_RETURN(BidiStream s, co_await conn->open_bi_with(*msg));
    ASTER_CO_ASSIGN_OR_RETURN(Chunk all, co_await s.recv.read_all(1 << 16));
    back = all.size();
  }
  if (back != msg->size()) co_return Status(StatusCode::kDataLoss, "short echo");
  co_return Status::ok();
}

// The echo server's endpoint, serving quic_server on this coroutine's executor.
asio::awaitable<Result<std::shared_ptr<Endpoint>>> start_quic_server(Runtime* rt) {
  EndpointConfig scfg;
  scfg.alpns = {"bench/echo", "bench/rpc", "bench/bulk"};
  scfg.bind_v4 = "127.0.0.1:0";
  scfg.max_bidi_streams = 1024;
  auto server = co_await rt->create_endpoint(std::move(scfg));
  if (!server) co_return server.status();
  auto shared_server = std::make_shared<Endpoint>(std::move(*server));
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, quic_server(shared_server), asio::detached);
  co_return shared_server;
}

// The three workloads from a client endpoint of its own against `server_addr`.
asio::awaitable<Figures> run_quic_client(Runtime* rt, EndpointAddr server_addr, int requests,
                                         size_t bulk_bytes) {
  Figures f;
  auto fail = [&f](const Status& st) {
    f.ok = false;
    f.error = st.to_string();
    return f;
  };
  auto ex = co_await asio::this_coro::executor;
  EndpointConfig ccfg;
  ccfg.bind_v4 = "127.0.0.1:0";
  auto client = co_await rt->create_endpoint(std::move(ccfg));
  if (!client) co_return fail(client.status());
  auto echo = co_await client->connect(server_addr, "bench/echo");
  if (!echo) co_return fail(echo.status());
  auto rpc = co_await client->connect(server_addr, "bench/rpc");
  if (!rpc) co_return fail(rpc.status());

  // 1. latency on one stream
  {
    auto s = co_await echo->open_bi();
    if (!s) co_return fail(s.status());
    std::vector<uint8_t> msg(kMsg, 7);
    std::vector<double> rtts;
    rtts.reserve(kLatencyRounds);
    for (int i = 0; i < kLatencyRounds + 200; ++i) {
      auto t = Clock::now();
      if (auto st = co_await s->send.write(msg); !st) co_return fail(st);
      size_t got = 0;
      while (got < kMsg) {
        auto c = co_await s->recv.read();
        if (!c) co_return fail(c.status());
        if (c->fin()) co_return fail(Status(StatusCode::kDataLoss, "early FIN"));
        got += c->size();
      }
      if (i >= 200) rtts.push_back(us_since(t));  // first 200: warm-up
    }
    (void)s->send.finish();
    f.p50_us = percentile(rtts, 0.50);
    f.p99_us = percentile(rtts, 0.99);
  }
  // 1b. latency with one stream per request, as a unary RPC call opens one
  {
    std::vector<uint8_t> msg(kMsg, 8);
    std::vector<double> rtts;
    for (int i = 0; i < kLatencyRounds + 200; ++i) {
      auto t = Clock::now();
      if (auto st = co_await quic_request(&*rpc, &msg); !st) co_return fail(st);
      if (i >= 200) rtts.push_back(us_since(t));
    }
    f.stream_p50_us = percentile(rtts, 0.50);
  }
  // 2. requests/s, 64 in flight, one stream per request
  {
    std::vector<uint8_t> msg(kMsg, 9);
    int next = 0, failures = 0;
    Countdown workers(ex, kInFlight);
    Status first_failure;
    const double cpu0 = cpu_us();
    auto t = Clock::now();
    for (int w = 0; w < kInFlight; ++w) {
      asio::co_spawn(
          ex,
          [](Connection* c, std::vector<uint8_t>* msg, int* next, int total, int* failures,
             Status* first, Countdown* done) -> asio::awaitable<void> {
            while ((*next)++ < total) {
              // The exchange inline, as raw iroh's workers make theirs: quic_request's frame
              // only when the answer did not come whole (or the peer's stream limit was hit).
              Result<std::optional<Chunk>> answer = co_await c->try_call(*msg, 1 << 16, 0);
              Status st;
              if (!answer) {
                st = answer.status();
              } else if (!*answer) {
                st = co_await quic_request(c, msg);
              } else if ((*answer)->size() != msg->size()) {
                st = Status(StatusCode::kDataLoss, "short echo");
              }
              if (!st && (*failures)++ == 0) *first = st;
            }
            done->done();
          }(&*rpc, &msg, &next, requests, &failures, &first_failure, &workers),
          asio::detached);
    }
    co_await workers.wait();
    double secs = us_since(t) / 1e6;
    f.cpu_us_per_req = (cpu_us() - cpu0) / requests;
    if (failures) co_return fail(first_failure);
    f.rps = requests / secs;
  }
  // 3. bulk
  {
    auto bulk = co_await client->connect(server_addr, "bench/bulk");
    if (!bulk) co_return fail(bulk.status());
    auto s = co_await bulk->open_bi();
    if (!s) co_return fail(s.status());
    // One buffer written again and again, handed over without a copy as raw iroh's
    // `write_chunk(buf.clone())` does (SendStream::write(SharedBytes)).
    const SharedBytes buf(std::vector<uint8_t>(64 << 10, 0x5a));
    auto t = Clock::now();
    for (size_t sent = 0; sent < bulk_bytes; sent += buf.size()) {
      if (auto st = co_await s->send.write(buf); !st) co_return fail(st);
    }
    (void)s->send.finish();
    auto ack = co_await s->recv.read_all(16);
    if (!ack) co_return fail(ack.status());
    if (ack->size() != 1) co_return fail(Status(StatusCode::kDataLoss, "no ack"));
    f.mbps = (bulk_bytes / 1e6) / (us_since(t) / 1e6);
  }
  co_return f;
}

// Server and client in this process, on one runtime (the default, the shape of the table).
asio::awaitable<Figures> run_quic(Runtime* rt, int requests, size_t bulk_bytes) {
  auto server = co_await start_quic_server(rt);
  if (!server) {
    Figures f;
    f.ok = false;
    f.error = server.status().to_string();
    co_return f;
  }
  auto addr = (*server)->address();
  if (!addr) {
    Figures f;
    f.ok = false;
    f.error = addr.status().to_string();
    co_return f;
  }
  co_return co_await run_quic_client(rt, std::move(*addr), requests, bulk_bytes);
}

// ---- TCP ------------------------------------------------------------------------------------

asio::awaitable<void> tcp_echo_session(tcp::socket s) {
  std::vector<uint8_t> buf(64 << 10);
  std::error_code ec;
  for (;;) {
    size_t n = co_await s.async_read_some(asio::buffer(buf),
                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await asio::async_write(s, asio::buffer(buf.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> tcp_sink_session(tcp::socket s) {
  std::vector<uint8_t> buf(64 << 10);
  std::error_code ec;
  for (;;) {
    co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // EOF
  }
  uint8_t ack = 1;
  co_await asio::async_write(s, asio::buffer(&ack, 1),
                             asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> tcp_server(std::shared_ptr<tcp::acceptor> acc, bool bulk) {
  auto ex = co_await asio::this_coro::executor;
  std::error_code ec;
  for (;;) {
    tcp::socket s = co_await acc->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    s.set_option(tcp::no_delay(true));
    if (bulk) {
      asio::co_spawn(ex, tcp_sink_session(std::move(s)), asio::detached);
    } else {
      asio::co_spawn(ex, tcp_echo_session(std::move(s)), asio::detached);
    }
  }
}

asio::awaitable<std::error_code> tcp_ping(tcp::socket* s, std::vector<uint8_t>* msg) {
  std::error_code ec;
  co_await asio::async_write(*s, asio::buffer(*msg), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ec;
  std::vector<uint8_t> back(msg->size());
  co_await asio::async_read(*s, asio::buffer(back), asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<Figures> run_tcp(int requests, size_t bulk_bytes) {
  Figures f;
  auto ex = co_await asio::this_coro::executor;
  auto loopback = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  auto echo_acc = std::make_shared<tcp::acceptor>(ex, loopback);
  auto bulk_acc = std::make_shared<tcp::acceptor>(ex, loopback);
  asio::co_spawn(ex, tcp_server(echo_acc, false), asio::detached);
  asio::co_spawn(ex, tcp_server(bulk_acc, true), asio::detached);
  auto connect = [&](tcp::endpoint to) -> asio::awaitable<tcp::socket> {
    tcp::socket s(ex);
    co_await s.async_connect(to, asio::use_awaitable);
    s.set_option(tcp::no_delay(true));
    co_return s;
  };
  // 1. latency
  {
    tcp::socket s = co_await connect(echo_acc->local_endpoint());
    std::vector<uint8_t> msg(kMsg, 7);
    std::vector<double> rtts;
    for (int i = 0; i < kLatencyRounds + 200; ++i) {
      auto t = Clock::now();
      if (co_await tcp_ping(&s, &msg)) {
        f.ok = false;
        co_return f;
      }
      if (i >= 200) rtts.push_back(us_since(t));
    }
    f.p50_us = percentile(rtts, 0.50);
    f.p99_us = percentile(rtts, 0.99);
  }
  // 2. requests/s: 64 connections, ping-pong each
  {
    std::vector<tcp::socket> socks;
    for (int i = 0; i < kInFlight; ++i)
      socks.push_back(co_await connect(echo_acc->local_endpoint()));
    std::vector<uint8_t> msg(kMsg, 9);
    int next = 0, failures = 0;
    Countdown workers(ex, kInFlight);
    const double cpu0 = cpu_us();
    auto t = Clock::now();
    for (int w = 0; w < kInFlight; ++w) {
      asio::co_spawn(
          ex,
          [](tcp::socket* s, std::vector<uint8_t>* msg, int* next, int total, int* failures,
             Countdown* done) -> asio::awaitable<void> {
            while ((*next)++ < total) {
              if (co_await tcp_ping(s, msg)) ++*failures;
            }
            done->done();
          }(&socks[w], &msg, &next, requests, &failures, &workers),
          asio::detached);
    }
    co_await workers.wait();
    f.rps = requests / (us_since(t) / 1e6);
    f.cpu_us_per_req = (cpu_us() - cpu0) / requests;
    if (failures) f.ok = false;
  }
  // 3. bulk
  {
    tcp::socket s = co_await connect(bulk_acc->local_endpoint());
    std::vector<uint8_t> buf(64 << 10, 0x5a);
    auto t = Clock::now();
    for (size_t sent = 0; sent < bulk_bytes; sent += buf.size()) {
      co_await asio::async_write(s, asio::buffer(buf), asio::use_awaitable);
    }
    s.shutdown(tcp::socket::shutdown_send);
    uint8_t ack = 0;
    co_await asio::async_read(s, asio::buffer(&ack, 1), asio::use_awaitable);
    f.mbps = (bulk_bytes / 1e6) / (us_since(t) / 1e6);
  }
  echo_acc->close();
  bulk_acc->close();
  co_return f;
}

std::string ratio(double a, double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f×", b == 0 ? 0.0 : a / b);
  return buf;
}

// Reads one number after `"key":` in the raw baseline's one-line JSON.
double json_number(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\"");
  if (at == std::string::npos) return 0;
  at = json.find(':', at);
  return at == std::string::npos ? 0 : std::atof(json.c_str() + at + 1);
}

// Runs one of the benchmark's helper programs (`cmd`) and reads the one-line JSON it prints;
// figures it does not print stay 0.
Figures run_program(const std::string& cmd, const std::string& what) {
  Figures f;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    f.ok = false;
    f.error = "cannot start " + cmd;
    return f;
  }
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (::pclose(p) != 0 || out.find("rps_64") == std::string::npos) {
    f.ok = false;
    f.error = what + " failed: " + cmd;
    return f;
  }
  f.p50_us = json_number(out, "rtt_p50_us");
  f.p99_us = json_number(out, "rtt_p99_us");
  f.stream_p50_us = json_number(out, "rtt_stream_p50_us");
  f.rps = json_number(out, "rps_64");
  f.mbps = json_number(out, "bulk_mbps");
  f.cpu_us_per_req = json_number(out, "cpu_us_per_req");
  return f;
}

// Options for the TCP rows: Asio in io_context::run() on a thread of its own, next to a bridge
// thread nobody uses.
Runtime::Options plain_loop() {
  Runtime::Options o;
  o.shape = Runtime::Shape::kCurrentThread;
  return o;
}

Figures run_raw(const std::string& path, int requests, size_t bulk_mib, const std::string& shape) {
  std::string cmd = path + " " + std::to_string(requests) + " " + std::to_string(bulk_mib) + " " +
                    shape;
#ifdef ASTER_BENCH_ALLOCATOR_PATH
  // Raw iroh gets the allocator this program links (bench/CMakeLists.txt), so the ratios
  // compare the transports, not malloc implementations.
  cmd = std::string("LD_PRELOAD=") + ASTER_BENCH_ALLOCATOR_PATH + " " + cmd;
#endif
  return run_program(cmd, "raw iroh baseline");
}

// The bridge's C ABI alone (abi_floor.cpp), its requests as callbacks or (`coroutines`) as
// asio coroutines: requests/s and CPU per request. It links the allocator this program links
// (bench/CMakeLists.txt).
Figures run_floor(const std::string& path, int requests, bool coroutines) {
  return run_program(
      path + " " + std::to_string(requests) + (coroutines ? " coroutines" : " callbacks"),
      "the ABI's floor");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

Figures median_of(const std::vector<Figures>& rounds) {
  auto pick = [&](double Figures::*m) {
    std::vector<double> v;
    for (const auto& r : rounds) v.push_back(r.*m);
    return median(v);
  };
  Figures f;
  f.p50_us = pick(&Figures::p50_us);
  f.p99_us = pick(&Figures::p99_us);
  f.stream_p50_us = pick(&Figures::stream_p50_us);
  f.rps = pick(&Figures::rps);
  f.mbps = pick(&Figures::mbps);
  f.cpu_us_per_req = pick(&Figures::cpu_us_per_req);
  return f;
}

std::string json_of(const Figures& f) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"rtt_p50_us\": %.1f, \"rtt_p99_us\": %.1f, \"rtt_stream_p50_us\": %.1f, "
                "\"rps_64\": %.0f, \"bulk_mbps\": %.1f, \"cpu_us_per_req\": %.1f}",
                f.p50_us, f.p99_us, f.stream_p50_us, f.rps, f.mbps, f.cpu_us_per_req);
  return buf;
}

double loadavg() {
  double l[1] = {0};
  return ::getloadavg(l, 1) == 1 ? l[0] : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20000, rounds = 3;
  size_t bulk_mib = 256;
  bool json = false;
  std::string shape = "shared";  // Runtime::Options' default
  std::string raw = ASTER_RAW_IROH_BENCH;
  std::string floor_bin = ASTER_ABI_FLOOR_BENCH;
  std::string only;  // profiling: one side only (bridge, raw, tcp, floor, floor-coroutines)
  bool serve = false;   // --serve: the bridge's echo server alone (the two-process form)
  std::string connect;  // --connect ADDR: the bridge's workloads against a --serve process
  bool defer = true;  // Runtime::Options::defer_stream_ops (--no-defer: for A/B runs)
  bool hold = true;   // Runtime::Options::hold_batches (--no-hold: for A/B runs)
  long spin_us = -1;  // Runtime::Options::spin (--spin-us N: for A/B runs; default: the option's)
  long drive_batch = -1;  // Runtime::Options::drive_batch (--drive-batch N: A/B; 0 uncapped)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--json") {
      json = true;
    } else if (a == "--rounds") {
      rounds = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--requests") {
      requests = std::atoi(value().c_str());
    } else if (a == "--bulk-mib") {
      bulk_mib = std::strtoul(value().c_str(), nullptr, 10);
    } else if (a == "--shape") {
      shape = value();
    } else if (a == "--raw") {
      raw = value();
    } else if (a == "--only") {
      only = value();
    } else if (a == "--serve") {
      serve = true;
    } else if (a == "--connect") {
      connect = value();
    } else if (a == "--no-defer") {
      defer = false;
    } else if (a == "--no-hold") {
      hold = false;
    } else if (a == "--spin-us") {
      spin_us = std::atol(value().c_str());
    } else if (a == "--drive-batch") {
      drive_batch = std::atol(value().c_str());
    } else {
      std::fprintf(stderr,
                   "usage: %s [--json] [--rounds N] [--requests N] [--bulk-mib N] "
                   "[--shape shared|current|multi:N] [--no-defer] [--no-hold] [--spin-us N] "
                   "[--drive-batch N] [--raw PATH] "
                   "[--only bridge|raw|tcp|floor|floor-coroutines] [--serve | --connect ADDR]\n",
                   argv[0]);
      return 2;
    }
  }
  Runtime::Options options;
  options.defer_stream_ops = defer;
  options.hold_batches = hold;
  if (spin_us >= 0) options.spin = std::chrono::microseconds(spin_us);
  if (drive_batch >= 0) {
    options.drive_batch = static_cast<size_t>(drive_batch);
    options.drive_batch_always = true;  // one process: every peer is in this runtime
  }
  if (shape.rfind("multi:", 0) == 0) {
    options.shape = Runtime::Shape::kMultiThread;
    options.worker_threads = static_cast<uint32_t>(std::atoi(shape.c_str() + 6));
  } else if (shape == "current") {
    options.shape = Runtime::Shape::kCurrentThread;
  } else if (shape == "shared") {
    options.shape = Runtime::Shape::kSharedThread;
  } else {
    std::fprintf(stderr, "--shape: current, shared or multi:N\n");
    return 2;
  }
  if (serve) {
    // The echo server in a process of its own: prints {"address": "<base64 NodeAddr>"}, serves
    // until stdin closes (bench/rpc/run.py holds it open while it needs the server).
    auto b = BlockingRuntime::create(options);
    if (!b) return 1;
    auto server = (*b)->run(start_quic_server(&(*b)->runtime()));
    if (!server) {
      std::fprintf(stderr, "server: %s\n", server.status().to_string().c_str());
      return 1;
    }
    auto addr = (*server)->address();
    if (!addr) return 1;
    std::printf("{\"address\": \"%s\"}\n", addr->to_node_addr_b64().c_str());
    std::fflush(stdout);
    char buf[64];
    while (::read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    return 0;
  }
  if (!connect.empty()) {
    // The client side against a --serve process: its figures as JSON (CPU: this process).
    auto addr = parse_endpoint_addr(connect);
    if (!addr) {
      std::fprintf(stderr, "--connect: %s\n", addr.status().to_string().c_str());
      return 2;
    }
    auto b = BlockingRuntime::create(options);
    if (!b) return 1;
    Figures f = (*b)->run(run_quic_client(&(*b)->runtime(), *addr, requests, bulk_mib << 20));
    if (!f.ok) {
      std::fprintf(stderr, "benchmark failed: %s\n", f.error.c_str());
      return 1;
    }
    std::printf("%s\n", json_of(f).c_str());
    return 0;
  }
  if (!only.empty()) {
    // One side alone, for perf record / strace: its figures as JSON, nothing else running.
    Figures f;
    if (only == "bridge" || only == "tcp") {
      auto b = BlockingRuntime::create(only == "bridge" ? options : plain_loop());
      if (!b) return 1;
      f = only == "bridge" ? (*b)->run(run_quic(&(*b)->runtime(), requests, bulk_mib << 20))
                           : (*b)->run(run_tcp(requests, bulk_mib << 20));
    } else if (only == "raw") {
      f = run_raw(raw, requests, bulk_mib, shape == "shared" ? "current" : shape);
    } else if (only == "floor" || only == "floor-coroutines") {
      f = run_floor(floor_bin, requests, only == "floor-coroutines");
    } else {
      std::fprintf(stderr, "--only: bridge, raw, tcp, floor or floor-coroutines\n");
      return 2;
    }
    if (!f.ok) {
      std::fprintf(stderr, "benchmark failed: %s\n", f.error.c_str());
      return 1;
    }
    std::printf("%s\n", json_of(f).c_str());
    return 0;
  }
  const double load_before = loadavg();
  std::vector<Figures> bridge, raw_iroh, tcp_rounds, floor_rounds, coroutine_rounds;
  for (int r = 0; r < rounds; ++r) {
    {
      auto b = BlockingRuntime::create(options);
      if (!b) {
        std::fprintf(stderr, "runtime: %s\n", b.status().to_string().c_str());
        return 1;
      }
      bridge.push_back((*b)->run(run_quic(&(*b)->runtime(), requests, bulk_mib << 20)));
    }
    {
      // TCP on its own plain Asio loop, so the bridge's shape does not change its figures.
      auto b = BlockingRuntime::create(plain_loop());
      if (!b) return 1;
      tcp_rounds.push_back((*b)->run(run_tcp(requests, bulk_mib << 20)));
    }
    // Raw iroh in the bridge's shape; "current" and "shared" both mean one current_thread
    // runtime for everything (raw iroh has no second event loop to share it with).
    raw_iroh.push_back(run_raw(raw, requests, bulk_mib, shape == "shared" ? "current" : shape));
    floor_rounds.push_back(run_floor(floor_bin, requests, false));
    coroutine_rounds.push_back(run_floor(floor_bin, requests, true));
    for (const auto* f : {&bridge.back(), &raw_iroh.back(), &tcp_rounds.back(),
                          &floor_rounds.back(), &coroutine_rounds.back()}) {
      if (!f->ok) {
        std::fprintf(stderr, "benchmark failed: %s\n", f->error.c_str());
        return 1;
      }
    }
  }
  const double load_after = loadavg();
  const Figures q = median_of(bridge), w = median_of(raw_iroh), t = median_of(tcp_rounds);
  const Figures a = median_of(floor_rounds), c = median_of(coroutine_rounds);
  if (json) {
    std::printf("{\"bridge\": %s, \"raw_iroh\": %s, \"tcp\": %s, "
                "\"abi_floor\": {\"rps_64\": %.0f, \"cpu_us_per_req\": %.2f}, "
                "\"abi_floor_coroutines\": {\"rps_64\": %.0f, \"cpu_us_per_req\": %.2f}, "
                "\"loadavg\": %.2f, \"allocator\": \"%s\"}\n",
                json_of(q).c_str(), json_of(w).c_str(), json_of(t).c_str(), a.rps,
                a.cpu_us_per_req, c.rps, c.cpu_us_per_req, load_after, ASTER_BENCH_ALLOCATOR);
    return 0;
  }
  std::printf("medians of %d interleaved rounds; shape %s; allocator %s (all three); load average "
              "%.2f before, %.2f after\n\n",
              rounds, shape.c_str(), ASTER_BENCH_ALLOCATOR, load_before, load_after);
  std::printf("| metric | bridge | raw iroh | TCP loopback (Asio) | bridge / raw iroh |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  std::printf("| RTT p50, 64 B, one stream (µs) | %.1f | %.1f | %.1f | %s |\n", q.p50_us, w.p50_us,
              t.p50_us, ratio(q.p50_us, w.p50_us).c_str());
  std::printf("| RTT p99, 64 B, one stream (µs) | %.1f | %.1f | %.1f | %s |\n", q.p99_us, w.p99_us,
              t.p99_us, ratio(q.p99_us, w.p99_us).c_str());
  std::printf("| RTT p50, 64 B + FIN, stream per request (µs) | %.1f | %.1f | — | %s |\n",
              q.stream_p50_us, w.stream_p50_us, ratio(q.stream_p50_us, w.stream_p50_us).c_str());
  std::printf("| requests/s, 64 in flight, stream per request (%d req) | %.0f | %.0f | %.0f | %s |\n",
              requests, q.rps, w.rps, t.rps, ratio(q.rps, w.rps).c_str());
  std::printf("| CPU per request (µs, whole process) | %.1f | %.1f | %.1f | %s |\n",
              q.cpu_us_per_req, w.cpu_us_per_req, t.cpu_us_per_req,
              ratio(q.cpu_us_per_req, w.cpu_us_per_req).c_str());
  std::printf("| bulk MB/s (%zu MiB, one stream) | %.1f | %.1f | %.1f | %s |\n", bulk_mib, q.mbps,
              w.mbps, t.mbps, ratio(q.mbps, w.mbps).c_str());
  // Where the bridge's requests/s go: the C ABI alone on one thread, its requests as
  // callbacks and as asio coroutines (abi_floor.cpp; docs/transport.md "The ABI's floor").
  std::printf("\nthe same requests/s workload on the bridge's C ABI alone, no C++ transport "
              "(aster_abi_floor_bench, one caller-driven runtime):\n\n");
  std::printf("| requests as | requests/s | ÷ raw iroh | ÷ bridge | CPU per request (µs) | "
              "÷ raw iroh |\n|---|---:|---:|---:|---:|---:|\n");
  for (const auto& [name, f] : {std::pair<const char*, const Figures&>{"callbacks", a},
                                std::pair<const char*, const Figures&>{"asio coroutines", c}}) {
    std::printf("| %s | %.0f | %s | %s | %.2f | %s |\n", name, f.rps, ratio(f.rps, w.rps).c_str(),
                ratio(f.rps, q.rps).c_str(), f.cpu_us_per_req,
                ratio(f.cpu_us_per_req, w.cpu_us_per_req).c_str());
  }
  return 0;
}
