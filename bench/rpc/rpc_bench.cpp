// bench/rpc: the C++ side of the RPC benchmark (bench/rpc/run.py drives it; bench/README.md).
//   aster_rpc_bench serve                 producer: prints {"address": "aster1…"}, serves
//                                         RpcBench until SIGTERM/SIGINT or stdin closes
//   aster_rpc_bench client <address>      consumer: runs the workloads against a producer
//   aster_rpc_bench local                 producer and consumer in this process, one runtime
// Client options: --seconds S (each measured phase, default 2), --stream-items N (per server
// stream call, default 10000), --bulk-kib K (upload payload, default 1024), --bulk-in-flight N
// (default 4), --only unary1,unary64,stream,bulk (a subset of the phases, for profiling).
// Prints one JSON object:
//   {"unary1": {"rps", "p50_us", "p99_us", "calls"}, "unary64": {...},
//    "stream_msgs_per_s", "bulk_mbps", "errors", "first_error", "allocator"}
// Workloads (the same in bench/rpc/rpc_bench.py and grpc_bench.cpp): unary echo of a 64-byte
// Blob with 1 and with 64 calls in flight (latency per call); server stream of `stream-items`
// 64-byte Blobs per call, calls back to back; upload of a `bulk-kib` Blob (incompressible
// bytes: 0.1.2 zstd-compresses payloads over 4 KiB) with `bulk-in-flight` calls in flight, MB/s
// of request payload.
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "rpc_bench_service.hpp"

namespace {

using namespace aster;
using aster::bench::Ack;
using aster::bench::Blob;
using aster::bench::RpcBench;
using aster::bench::StreamRequest;
using Clock = std::chrono::steady_clock;

struct Settings {
  double seconds = 2.0;
  int64_t stream_items = 10000;
  size_t bulk_kib = 1024;
  int bulk_in_flight = 4;
  std::string only;  // comma-separated phases to run (profiling); empty = all
  // local/client/serve: the bridge's thread shape ("shared", the runtime's default: Asio and
  // tokio on one thread, or "current": a bridge thread of its own; docs/transport.md "Thread
  // shape").
  transport::Runtime::Options runtime;
  bool wants(std::string_view phase) const {
    if (only.empty()) return true;
    std::string_view rest = only;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (rest.substr(0, comma) == phase) return true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
  }
};

struct Latency {
  double rps = 0, p50_us = 0, p99_us = 0;
  size_t calls = 0;
};

struct Figures {
  Latency unary1, unary64;
  double stream_msgs_per_s = 0, bulk_mbps = 0;
  size_t errors = 0;
  std::string first_error;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1)))];
}

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

Clock::duration phase(const Settings& s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.seconds));
}

// Counts down; wait() returns at zero.
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

void note_error(Figures& f, const std::exception& e) {
  if (f.errors++ == 0) f.first_error = e.what();
}

// `workers` coroutines call echo back to back until the phase ends; latency per call.
asio::awaitable<Latency> unary_phase(RpcBench::Client& svc, int workers, const Settings& s,
                                     Figures& f) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<double> lat;
  lat.reserve(1 << 16);
  Countdown done(ex, workers);
  const auto start = Clock::now();
  const auto end = start + phase(s);
  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          Blob payload;
          payload.data.assign(64, 0x07);
          // One clock read per call: a call's end is the next one's start and the phase check
          // (three reads per call were ≈ 2% of the io thread's time per call at 64 in flight).
          auto t = Clock::now();
          while (t < end) {
            Blob req = payload;
            try {
              Blob back = co_await svc.echo(std::move(req));
              if (back.data.size() != payload.data.size()) throw std::runtime_error("short echo");
              const auto now = Clock::now();
              lat.push_back(std::chrono::duration<double, std::micro>(now - t).count());
              t = now;
            } catch (const std::exception& e) {
              note_error(f, e);
              t = Clock::now();
            }
          }
          done.done();
        },
        asio::detached);
  }
  co_await done.wait();
  Latency l;
  l.calls = lat.size();
  l.rps = static_cast<double>(lat.size()) / (us_since(start) / 1e6);
  l.p50_us = percentile(lat, 0.50);
  l.p99_us = percentile(lat, 0.99);
  co_return l;
}

asio::awaitable<double> stream_phase(RpcBench::Client& svc, const Settings& s, Figures& f) {
  size_t items = 0;
  const auto start = Clock::now();
  const auto end = start + phase(s);
  do {
    try {
      StreamRequest req{s.stream_items, 64};
      auto stream = co_await svc.stream(std::move(req));
      while (auto item = co_await stream.next()) {
        if (item->data.size() != 64) throw std::runtime_error("short stream item");
        ++items;
      }
    } catch (const std::exception& e) {
      note_error(f, e);
      break;
    }
  } while (Clock::now() < end);
  co_return static_cast<double>(items) / (us_since(start) / 1e6);
}

asio::awaitable<double> bulk_phase(RpcBench::Client& svc, const Settings& s, Figures& f) {
  auto ex = co_await asio::this_coro::executor;
  Blob payload;
  payload.data.resize(s.bulk_kib << 10);
  std::mt19937_64 rng(42);  // incompressible: zstd (over 4 KiB) gains nothing
  for (auto& b : payload.data) b = static_cast<uint8_t>(rng());
  size_t bytes = 0;
  Countdown done(ex, s.bulk_in_flight);
  const auto start = Clock::now();
  const auto end = start + phase(s);
  for (int w = 0; w < s.bulk_in_flight; ++w) {
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          do {
            Blob req = payload;
            try {
              Ack ack = co_await svc.upload(std::move(req));
              if (static_cast<size_t>(ack.size) != payload.data.size())
                throw std::runtime_error("upload size mismatch");
              bytes += payload.data.size();
            } catch (const std::exception& e) {
              note_error(f, e);
              break;
            }
          } while (Clock::now() < end);
          done.done();
        },
        asio::detached);
  }
  co_await done.wait();
  co_return (static_cast<double>(bytes) / 1e6) / (us_since(start) / 1e6);
}

asio::awaitable<Figures> run_client(transport::Runtime& rt, std::string address, Settings s) {
  Figures f;
  try {
    aster::Client client(rt, std::move(address));
    co_await client.connect();
    auto svc = co_await client.client<RpcBench>();
    Settings warm = s;
    warm.seconds = std::min(0.2, s.seconds);
    (void)co_await unary_phase(svc, 8, warm, f);  // warm-up: connection, allocator, caches
    if (s.wants("unary1")) f.unary1 = co_await unary_phase(svc, 1, s, f);
    if (s.wants("unary64")) f.unary64 = co_await unary_phase(svc, 64, s, f);
    if (s.wants("stream")) f.stream_msgs_per_s = co_await stream_phase(svc, s, f);
    if (s.wants("bulk")) f.bulk_mbps = co_await bulk_phase(svc, s, f);
    client.close();
  } catch (const std::exception& e) {
    note_error(f, e);
  }
  co_return f;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void print_json(const Figures& f) {
  auto lat = [](const Latency& l) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "{\"rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"calls\": %zu}", l.rps,
                  l.p50_us, l.p99_us, l.calls);
    return std::string(buf);
  };
  std::printf(
      "{\"unary1\": %s, \"unary64\": %s, \"stream_msgs_per_s\": %.1f, \"bulk_mbps\": %.1f, "
      "\"errors\": %zu, \"first_error\": \"%s\", \"allocator\": \"%s\"}\n",
      lat(f.unary1).c_str(), lat(f.unary64).c_str(), f.stream_msgs_per_s, f.bulk_mbps, f.errors,
      json_escape(f.first_error).c_str(), ASTER_BENCH_ALLOCATOR);
  std::fflush(stdout);
}

rpc::ServerOptions loopback_options() {
  rpc::ServerOptions o;
  o.bind_v4 = "127.0.0.1:0";
  return o;
}

int serve(const Settings& s) {
  asio::io_context io;
  auto runtime = transport::Runtime::create(io, s.runtime);
  if (!runtime) {
    std::cerr << "error: " << runtime.status().to_string() << "\n";
    return 1;
  }
  aster::Server server(*runtime, loopback_options());
  server.add(bench::make_rpc_bench_impl());
  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::posix::stream_descriptor in(io, ::dup(STDIN_FILENO));
  auto stop = [&] {
    signals.cancel();
    in.cancel();
    asio::co_spawn(io, server.close(), [&](std::exception_ptr) { io.stop(); });
  };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Status started = co_await server.start();
        if (!started.is_ok()) {
          std::cerr << "error: " << started.to_string() << "\n";
          exit_code = 1;
          io.stop();
          co_return;
        }
        std::cout << "{\"address\": \"" << server.address() << "\"}" << std::endl;
        co_await server.serve();
      },
      asio::detached);
  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) stop();
  });
  // The driver keeps our stdin open while it needs us; EOF (it exited) stops us too.
  std::array<char, 64> buf{};
  std::function<void(std::error_code, size_t)> on_read = [&](std::error_code ec, size_t) {
    if (ec) {
      if (ec != asio::error::operation_aborted) stop();
      return;
    }
    in.async_read_some(asio::buffer(buf), on_read);
  };
  in.async_read_some(asio::buffer(buf), on_read);
  (void)runtime->run();
  runtime->shutdown();
  return exit_code;
}

int client(const std::string& address, const Settings& s) {
  auto b = transport::BlockingRuntime::create(s.runtime);
  if (!b) {
    std::cerr << "runtime: " << b.status().to_string() << "\n";
    return 1;
  }
  Figures f = (*b)->run(run_client((*b)->runtime(), address, s));
  print_json(f);
  return f.errors == 0 ? 0 : 1;
}

int local(const Settings& s) {
  auto b = transport::BlockingRuntime::create(s.runtime);
  if (!b) {
    std::cerr << "runtime: " << b.status().to_string() << "\n";
    return 1;
  }
  aster::Server server((*b)->runtime(), loopback_options());
  server.add(bench::make_rpc_bench_impl());
  if (Status st = (*b)->run(server.start()); !st.is_ok()) {
    std::cerr << "server: " << st.to_string() << "\n";
    return 1;
  }
  asio::co_spawn((*b)->io(), server.serve(), asio::detached);
  Figures f = (*b)->run(run_client((*b)->runtime(), server.address(), s));
  (*b)->run(server.close());
  print_json(f);
  return f.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto usage = [&] {
    std::fprintf(stderr,
                 "usage: %s serve | client <address> | local  [--seconds S] [--stream-items N] "
                 "[--bulk-kib K] [--bulk-in-flight N] [--only unary1,unary64,stream,bulk] "
                 "[--shape shared|current] [--no-defer] [--no-hold] [--spin-us N] [--drive-batch N]\n",
                 argv[0]);
    return 2;
  };
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  std::string address;
  int i = 2;
  if (mode == "client") {
    if (argc < 3) return usage();
    address = argv[i++];
  } else if (mode != "serve" && mode != "local") {
    return usage();
  }
  Settings s;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-defer") {  // the current shape without deferred submission (A/B)
      s.runtime.defer_stream_ops = false;
      continue;
    }
    if (a == "--no-hold") {  // deferred operations wake the runtime one by one (A/B)
      s.runtime.hold_batches = false;
      continue;
    }
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--spin-us") {  // Runtime::Options::spin (A/B runs)
      s.runtime.spin = std::chrono::microseconds(std::atol(v));
      continue;
    }
    if (a == "--drive-batch") {  // Runtime::Options::drive_batch (A/B runs; 0: uncapped)
      s.runtime.drive_batch = std::strtoul(v, nullptr, 10);
      s.runtime.drive_batch_always = true;  // `local`: every peer is in this runtime
      continue;
    }
    if (a == "--seconds") {
      s.seconds = std::atof(v);
    } else if (a == "--stream-items") {
      s.stream_items = std::atoll(v);
    } else if (a == "--bulk-kib") {
      s.bulk_kib = std::strtoul(v, nullptr, 10);
    } else if (a == "--bulk-in-flight") {
      s.bulk_in_flight = std::max(1, std::atoi(v));
    } else if (a == "--only") {
      s.only = v;
    } else if (a == "--shape") {
      const std::string shape = v;
      if (shape == "shared") {
        s.runtime.shape = transport::Runtime::Shape::kSharedThread;
      } else if (shape == "current") {
        s.runtime.shape = transport::Runtime::Shape::kCurrentThread;
      } else {
        return usage();
      }
    } else {
      return usage();
    }
  }
  if (mode == "serve") return serve(s);
  if (mode == "client") return client(address, s);
  return local(s);
}
