// bench/transport: the transport floor. Runs, in one process and one run, the same three
// workloads over iroh QUIC (C++ transport → Rust bridge → iroh, both endpoints on 127.0.0.1)
// and over plain TCP loopback with Asio, and prints a markdown table with ratios:
//   1. round-trip latency p50/p99: 64-byte ping-pong on one stream / one connection;
//   2. requests/s with 64 in flight: iroh opens one bidi stream per request (64 B, FIN, echo
//      to FIN) as Aster calls do; TCP has no streams, so 64 connections do 64-byte ping-pongs;
//   3. bulk MB/s: 256 MiB one way on one stream / connection, then a 1-byte ack.
// Everything C++ runs on one io_context thread; the bridge adds its tokio workers (2).
// Usage: aster_transport_bench [requests=20000] [bulk_mib=256] [tokio_workers=2]
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
  double p50_us = 0, p99_us = 0, rps = 0, mbps = 0;
  bool ok = true;
  std::string error;
};

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
  Countdown(asio::any_io_executor ex, int n) : timer_(ex, Clock::time_point::max()), n_(n) {}
  void done() {
    if (--n_ == 0) timer_.cancel();
  }
  asio::awaitable<void> wait() {
    std::error_code ec;
    while (n_ > 0) co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

 private:
  asio::steady_timer timer_;
  int n_;
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
  (void)co_await s.send.write({&ack, 1});
  (void)s.send.finish();
}

asio::awaitable<void> quic_serve_connection(Connection conn) {
  auto ex = co_await asio::this_coro::executor;
  bool bulk = conn.alpn() == "bench/bulk";
  for (;;) {
    auto s = co_await conn.accept_bi();
    if (!s) co_return;
    if (bulk) {
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

asio::awaitable<Status> quic_request(Connection* conn, std::vector<uint8_t>* msg) {
  auto s = co_await conn->open_bi();
  if (!s) co_return s.status();
  if (auto st = co_await s->send.write(*msg); !st) co_return st;
  if (auto st = s->send.finish(); !st) co_return st;
  auto back = co_await s->recv.read_to_end(1 << 16);
  if (!back) co_return back.status();
  if (back->size() != msg->size()) co_return Status(StatusCode::kDataLoss, "short echo");
  co_return Status::ok();
}

asio::awaitable<Figures> run_quic(Runtime* rt, int requests, size_t bulk_bytes) {
  Figures f;
  auto fail = [&f](const Status& st) {
    f.ok = false;
    f.error = st.to_string();
    return f;
  };
  EndpointConfig scfg;
  scfg.alpns = {"bench/echo", "bench/bulk"};
  scfg.bind_v4 = "127.0.0.1:0";
  scfg.max_bidi_streams = 1024;
  auto server = co_await rt->create_endpoint(std::move(scfg));
  if (!server) co_return fail(server.status());
  auto shared_server = std::make_shared<Endpoint>(std::move(*server));
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, quic_server(shared_server), asio::detached);
  EndpointConfig ccfg;
  ccfg.bind_v4 = "127.0.0.1:0";
  auto client = co_await rt->create_endpoint(std::move(ccfg));
  if (!client) co_return fail(client.status());
  auto echo = co_await client->connect(shared_server->address(), "bench/echo");
  if (!echo) co_return fail(echo.status());

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
  // 2. requests/s, 64 in flight, one stream per request
  {
    std::vector<uint8_t> msg(kMsg, 9);
    int next = 0, failures = 0;
    Countdown workers(ex, kInFlight);
    auto t = Clock::now();
    for (int w = 0; w < kInFlight; ++w) {
      asio::co_spawn(
          ex,
          [](Connection* c, std::vector<uint8_t>* msg, int* next, int total, int* failures,
             Countdown* done) -> asio::awaitable<void> {
            while ((*next)++ < total) {
              if (!(co_await quic_request(c, msg))) ++*failures;
            }
            done->done();
          }(&*echo, &msg, &next, requests, &failures, &workers),
          asio::detached);
    }
    co_await workers.wait();
    double secs = us_since(t) / 1e6;
    if (failures) co_return fail(Status(StatusCode::kInternal, "request failures"));
    f.rps = requests / secs;
  }
  // 3. bulk
  {
    auto bulk = co_await client->connect(shared_server->address(), "bench/bulk");
    if (!bulk) co_return fail(bulk.status());
    auto s = co_await bulk->open_bi();
    if (!s) co_return fail(s.status());
    std::vector<uint8_t> buf(64 << 10, 0x5a);
    auto t = Clock::now();
    for (size_t sent = 0; sent < bulk_bytes; sent += buf.size()) {
      if (auto st = co_await s->send.write(buf); !st) co_return fail(st);
    }
    (void)s->send.finish();
    auto ack = co_await s->recv.read_to_end(16);
    if (!ack || ack->size() != 1) co_return fail(ack.status());
    f.mbps = (bulk_bytes / 1e6) / (us_since(t) / 1e6);
  }
  co_return f;
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

}  // namespace

int main(int argc, char** argv) {
  int requests = argc > 1 ? std::atoi(argv[1]) : 20000;
  size_t bulk_mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 256;
  Runtime::Options options;
  if (argc > 3) options.worker_threads = static_cast<uint32_t>(std::atoi(argv[3]));
  auto b = BlockingRuntime::create(options);
  if (!b) {
    std::fprintf(stderr, "runtime: %s\n", b.status().to_string().c_str());
    return 1;
  }
  Figures tcp_f = (*b)->run(run_tcp(requests, bulk_mib << 20));
  Figures quic = (*b)->run(run_quic(&(*b)->runtime(), requests, bulk_mib << 20));
  if (!quic.ok || !tcp_f.ok) {
    std::fprintf(stderr, "benchmark failed: iroh: %s tcp: %s\n", quic.error.c_str(),
                 tcp_f.error.c_str());
    return 1;
  }
  std::printf("| metric | iroh QUIC via bridge | TCP loopback (Asio) | iroh / TCP |\n");
  std::printf("|---|---:|---:|---:|\n");
  std::printf("| RTT p50, 64 B, one stream (µs) | %.1f | %.1f | %s |\n", quic.p50_us, tcp_f.p50_us,
              ratio(quic.p50_us, tcp_f.p50_us).c_str());
  std::printf("| RTT p99, 64 B, one stream (µs) | %.1f | %.1f | %s |\n", quic.p99_us, tcp_f.p99_us,
              ratio(quic.p99_us, tcp_f.p99_us).c_str());
  std::printf(
      "| requests/s, 64 in flight (%d req; iroh: stream per request) | %.0f | %.0f | %s |\n",
      requests, quic.rps, tcp_f.rps, ratio(quic.rps, tcp_f.rps).c_str());
  std::printf("| bulk MB/s (%zu MiB, one stream) | %.1f | %.1f | %s |\n", bulk_mib, quic.mbps,
              tcp_f.mbps, ratio(quic.mbps, tcp_f.mbps).c_str());
  return 0;
}
