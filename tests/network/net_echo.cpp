// tests/network/net_echo: a two-process stream echo over the C++ transport, for running one
// endpoint per network namespace (tests/network/topology.sh) and seeing whether bulk data
// gets through a relay, a NAT and a path switch (issue 14).
//   aster_net_echo serve
//       prints the endpoint's NodeAddr (base64 of the LF text form, with the relay URL once the
//       home relay is connected) on stdout, then echoes every bidi stream on ALPN
//       aster-net/echo until killed.
//   aster_net_echo client <node-addr-b64> [--sizes 1,10] [--wait S] [--timeout S]
//                         [--until-direct S]
//       dials it, optionally waits S seconds (for hole punching), then for each size (MiB)
//       opens a stream, writes that many bytes while reading the echo back, and prints one
//       line per size: `echo <MiB> MiB: ok <ms> ms <MB/s>` or `STALL after <bytes> echoed`,
//       each followed by the connection's selected path at that moment:
//       `path: direct <ip:port> (rtt <ms> ms)` or `path: relay <url> (rtt <ms> ms)`
//       (Connection::path(); the rtt part only when known). Whenever the selected path changes
//       (starting from none) it prints `path changed: <kind> <addr> after <ms> ms`, ms since
//       the connection was established to when the bridge saw the change
//       (Connection::watch_path(); the line itself may come later while the echo is busy).
//       With --until-direct S, while the selected path is not direct after the last size and
//       less than S seconds have passed since the connection was made, it echoes the last size
//       again: how soon hole punching succeeds is the network's timing, while how long the
//       sizes take is the machine's (on a fast one 31 MiB were through before the switch).
// Relay settings come from ASTER_RELAY_MODE and ASTER_RELAY_CA (a PEM/DER CA file for a
// self-hosted TLS relay; transport::apply_relay_mode_from_env); ASTER_IROH_TRACE turns on the
// bridge's tracing (bridge/src/trace.rs).
// Exit status: 0 all echoes complete, 1 a stall or error, 2 usage.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aster/transport/endpoint.hpp"

namespace {

using namespace aster;
using namespace aster::transport;
using Clock = std::chrono::steady_clock;

constexpr const char* kAlpn = "aster-net/echo";
constexpr size_t kChunk = 64 * 1024;

uint8_t pattern(uint64_t i) { return static_cast<uint8_t>((i * 131) ^ (i >> 9)); }

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<Result<Endpoint>> make_endpoint(Runtime& rt, bool serve) {
  EndpointConfig cfg;
  if (serve) cfg.alpns = {kAlpn};
  ASTER_CO_RETURN_IF_ERROR(apply_relay_mode_from_env(cfg));
  cfg.portmapper = false;
  auto ep = co_await rt.create_endpoint(std::move(cfg));
  if (!ep.is_ok()) co_return ep;
  // The home relay connects in the background; its URL is in address() once it did.
  const bool want_relay = std::getenv("ASTER_RELAY_MODE") != nullptr &&
                          std::string(std::getenv("ASTER_RELAY_MODE")).starts_with("http");
  for (int i = 0; want_relay && i < 150; ++i) {
    auto a = ep->address();
    if (a.is_ok() && !a->relay_url.empty()) break;
    co_await sleep_for(std::chrono::milliseconds(100));
  }
  co_return ep;
}

asio::awaitable<void> echo_stream(BidiStream s) {
  for (;;) {
    auto c = co_await s.recv.read_with_fin(kChunk);
    if (!c.is_ok()) {
      std::fprintf(stderr, "serve: read: %s\n", c.status().to_string().c_str());
      co_return;
    }
    if (c->size() > 0) {
      std::vector<uint8_t> copy(c->bytes().begin(), c->bytes().end());
      if (auto st = co_await s.send.write(copy); !st.is_ok()) {
        std::fprintf(stderr, "serve: write: %s\n", st.to_string().c_str());
        co_return;
      }
    }
    if (c->fin()) {
      (void)s.send.finish();
      (void)co_await s.send.stopped();  // keep the stream until the echo is acknowledged
      co_return;
    }
  }
}

asio::awaitable<void> serve_connection(Connection conn) {
  std::fprintf(stderr, "serve: connection from %s\n", conn.remote_id().to_hex().c_str());
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    auto s = co_await conn.accept_bi();
    if (!s.is_ok()) {
      std::fprintf(stderr, "serve: connection ended: %s\n", s.status().to_string().c_str());
      co_return;
    }
    asio::co_spawn(ex, echo_stream(std::move(*s)), asio::detached);
  }
}

asio::awaitable<int> serve(Runtime& rt) {
  auto ep = co_await make_endpoint(rt, true);
  if (!ep.is_ok()) {
    std::fprintf(stderr, "serve: endpoint: %s\n", ep.status().to_string().c_str());
    co_return 1;
  }
  auto addr = ep->address();
  if (!addr.is_ok()) co_return 1;
  std::fprintf(stderr, "serve: %s\n", addr->to_node_addr_text().c_str());
  std::printf("%s\n", addr->to_node_addr_b64().c_str());
  std::fflush(stdout);
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    auto conn = co_await ep->accept();
    if (!conn.is_ok()) {
      std::fprintf(stderr, "serve: accept: %s\n", conn.status().to_string().c_str());
      co_return 1;
    }
    asio::co_spawn(ex, serve_connection(std::move(*conn)), asio::detached);
  }
}

// Prints `path changed: …` for every change of the selected path until the connection ends.
asio::awaitable<void> report_path_changes(std::shared_ptr<PathWatch> watch,
                                          Clock::time_point connected) {
  ConnectionPath last;  // none
  for (;;) {
    auto change = co_await watch->next();
    if (!change.is_ok()) co_return;
    if (change->path.same_route(last)) continue;
    last = change->path;
    std::printf("path changed: %s after %.1f ms\n", last.to_string().c_str(),
                std::chrono::duration<double, std::milli>(change->at - connected).count());
    std::fflush(stdout);
  }
}

void print_path(const Connection& conn) {
  auto path = conn.path();
  if (path.is_ok()) {
    std::printf("path: %s\n", path->describe().c_str());
  } else {
    std::printf("path: unknown (%s)\n", path.status().to_string().c_str());
  }
}

struct Progress {
  uint64_t sent = 0, echoed = 0;
  bool write_done = false, read_done = false, failed = false;
  std::string error;
};

asio::awaitable<void> writer(SendStream& send, uint64_t total, std::shared_ptr<Progress> p) {
  std::vector<uint8_t> buf(kChunk);
  while (p->sent < total) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, total - p->sent));
    for (size_t i = 0; i < n; ++i) buf[i] = pattern(p->sent + i);
    if (auto st = co_await send.write(std::span(buf.data(), n)); !st.is_ok()) {
      p->failed = true;
      p->error = "write: " + st.to_string();
      co_return;
    }
    p->sent += n;
  }
  (void)send.finish();
  p->write_done = true;
}

asio::awaitable<void> reader(RecvStream& recv, uint64_t total, std::shared_ptr<Progress> p) {
  for (;;) {
    auto c = co_await recv.read_with_fin(kChunk);
    if (!c.is_ok()) {
      p->failed = true;
      p->error = "read: " + c.status().to_string();
      co_return;
    }
    for (uint8_t b : c->bytes()) {
      if (b != pattern(p->echoed)) {
        p->failed = true;
        p->error = "echo differs at byte " + std::to_string(p->echoed);
        co_return;
      }
      ++p->echoed;
    }
    if (c->fin()) break;
  }
  if (p->echoed != total) {
    p->failed = true;
    p->error = "echo ended after " + std::to_string(p->echoed) + " bytes";
  }
  p->read_done = true;
}

asio::awaitable<int> client(Runtime& rt, std::string peer_b64, std::vector<uint64_t> sizes_mib,
                            double wait_s, double timeout_s, double until_direct_s) {
  auto peer = EndpointAddr::from_node_addr_b64(peer_b64);
  if (!peer.is_ok()) {
    std::fprintf(stderr, "client: bad address: %s\n", peer.status().to_string().c_str());
    co_return 2;
  }
  const auto t_ep = Clock::now();
  auto ep = co_await make_endpoint(rt, false);
  if (!ep.is_ok()) {
    std::fprintf(stderr, "client: endpoint: %s\n", ep.status().to_string().c_str());
    co_return 1;
  }
  std::printf("endpoint ready in %.0f ms\n", ms_since(t_ep));
  const auto t0 = Clock::now();
  auto conn = co_await ep->connect(*peer, kAlpn);
  if (!conn.is_ok()) {
    std::printf("connect failed after %.0f ms: %s\n", ms_since(t0), conn.status().to_string().c_str());
    co_return 1;
  }
  const auto connected = Clock::now();
  std::printf("connected in %.1f ms\n", ms_since(t0));
  std::fflush(stdout);
  auto watch = std::make_shared<PathWatch>(conn->watch_path());
  asio::co_spawn(co_await asio::this_coro::executor, report_path_changes(watch, connected),
                 asio::detached);
  if (wait_s > 0) co_await sleep_for(std::chrono::milliseconds(static_cast<int>(wait_s * 1000)));
  auto ex = co_await asio::this_coro::executor;
  int rc = 0;
  auto direct = [&] {
    auto path = conn->path();
    return path.is_ok() && path->kind == transport::ConnectionPath::Kind::kDirect;
  };
  for (size_t round = 0; round < sizes_mib.size(); ++round) {
    const uint64_t mib = sizes_mib[round];
    const uint64_t total = mib << 20;
    auto s = co_await conn->open_bi();
    if (!s.is_ok()) {
      std::printf("echo %llu MiB: open_bi failed: %s\n", static_cast<unsigned long long>(mib),
                  s.status().to_string().c_str());
      rc = 1;
      break;
    }
    auto stream = std::make_shared<BidiStream>(std::move(*s));
    auto p = std::make_shared<Progress>();
    const auto t = Clock::now();
    asio::co_spawn(ex, [stream, total, p]() -> asio::awaitable<void> {
      co_await writer(stream->send, total, p);
    }, asio::detached);
    asio::co_spawn(ex, [stream, total, p]() -> asio::awaitable<void> {
      co_await reader(stream->recv, total, p);
    }, asio::detached);
    uint64_t last = 0;
    auto last_change = Clock::now();
    while (!p->read_done && !p->failed && ms_since(t) < timeout_s * 1000) {
      co_await sleep_for(std::chrono::milliseconds(50));
      if (p->echoed != last) {
        last = p->echoed;
        last_change = Clock::now();
      }
    }
    const double ms = ms_since(t);
    if (p->read_done && !p->failed) {
      std::printf("echo %llu MiB: ok %.0f ms %.1f MB/s each way\n",
                  static_cast<unsigned long long>(mib), ms, total / (ms * 1e3));
      print_path(*conn);
    } else if (p->failed) {
      std::printf("echo %llu MiB: ERROR %s (sent %llu, echoed %llu, %.0f ms)\n",
                  static_cast<unsigned long long>(mib), p->error.c_str(),
                  static_cast<unsigned long long>(p->sent),
                  static_cast<unsigned long long>(p->echoed), ms);
      print_path(*conn);
      rc = 1;
      break;
    } else {
      std::printf("echo %llu MiB: STALL after %llu bytes echoed (%llu sent), no progress for "
                  "%.0f ms, gave up at %.0f ms\n",
                  static_cast<unsigned long long>(mib), static_cast<unsigned long long>(p->echoed),
                  static_cast<unsigned long long>(p->sent), ms_since(last_change), ms);
      print_path(*conn);
      rc = 1;
      break;
    }
    std::fflush(stdout);
    if (round + 1 == sizes_mib.size() && until_direct_s > 0 && !direct() &&
        ms_since(connected) < until_direct_s * 1000) {
      sizes_mib.push_back(mib);  // not switched yet: once more, with data in flight
    }
  }
  std::fflush(stdout);
  (void)conn->close(0, "done");
  co_await sleep_for(std::chrono::milliseconds(200));
  co_return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s serve | client <node-addr-b64> [--sizes 1,10] [--wait S] "
                 "[--timeout S] [--until-direct S]\n",
                 argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  std::string peer;
  std::vector<uint64_t> sizes{1, 10};
  double wait_s = 0, timeout_s = 30, until_direct_s = 0;
  int i = 2;
  if (mode == "client") {
    if (argc < 3) return 2;
    peer = argv[i++];
  }
  for (; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--sizes") {
      sizes.clear();
      size_t pos = 0;
      while (pos <= v.size()) {
        const size_t comma = v.find(',', pos);
        sizes.push_back(std::stoull(v.substr(pos, comma - pos)));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (a == "--wait") {
      wait_s = std::stod(v);
    } else if (a == "--timeout") {
      timeout_s = std::stod(v);
    } else if (a == "--until-direct") {
      until_direct_s = std::stod(v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  asio::io_context io(1);
  auto rt = Runtime::create(io);
  if (!rt.is_ok()) {
    std::fprintf(stderr, "runtime: %s\n", rt.status().to_string().c_str());
    return 1;
  }
  int rc = 1;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) {
    rc = 0;
    io.stop();
  });
  if (mode == "serve") {
    asio::co_spawn(io, serve(*rt), [&](std::exception_ptr, int r) {
      rc = r;
      io.stop();
    });
  } else if (mode == "client") {
    asio::co_spawn(io, client(*rt, peer, sizes, wait_s, timeout_s, until_direct_s),
                   [&](std::exception_ptr, int r) {
                     rc = r;
                     io.stop();
                   });
  } else {
    return 2;
  }
  (void)rt->run();
  std::fflush(stdout);
  // Skip the orderly teardown: after a stall the bridge may hold streams that never finish.
  std::_Exit(rc);
}
