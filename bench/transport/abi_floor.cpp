// aster_abi_floor_bench: the bridge's C ABI alone, with no C++ transport, Asio or coroutine on
// top: bench/transport's requests/s workload (64 in flight, one bidi stream per request: the
// request, FIN, the whole answer, FIN) written as a callback state machine straight against
// aster_iroh.h, in one caller-driven runtime (the thread shape of `--shape shared`).
//
// What it is for: bench/transport compares the C++ transport through the bridge with raw iroh
// in Rust. The difference holds two costs, the bridge (the ABI's hand-over of every operation
// and completion) and the C++ layer above it (Asio's io_context, coroutine frames, handles);
// this program measures the first without the second (docs/transport.md "The ABI's floor").
//
// With `coroutines` the same requests run as asio coroutines (asio::awaitable, as the C++
// transport's callers use it) on an io_context polled inside the drive, each operation an
// asio::async_initiate whose handler waits in a numbered slot: Asio's own cost per request
// without the transport's objects (handles, streams, the pending-operation table).
//
// Usage: aster_abi_floor_bench [requests [coroutines]] — after 2,000 requests of warm-up,
// times `requests` more (default 400,000) and prints one JSON object:
//   {"rps_64": r, "cpu_us_per_req": c, "requests": n}
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>
#include <optional>

#include "aster_iroh.h"

namespace {

constexpr size_t kMsg = 64;
constexpr int kInFlight = 64;
constexpr long kWarmUp = 2000;
constexpr uint64_t kServerAccept = 1, kClientConnect = 2, kServerStreams = 3, kEndpoint = 4;
// user_data of the set-up operations and of every call; an answer's write and a read to the
// end carry their stream half instead, so that their event can free it.
constexpr uint64_t kCall = 5;

double cpu_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "aster_abi_floor_bench: %s\n", what);
  std::exit(1);
}

[[noreturn]] void die(const char* what, int32_t st) {
  std::fprintf(stderr, "aster_abi_floor_bench: %s: %s\n", what, aster_iroh_status_name(st));
  std::exit(1);
}

void check(const char* what, int32_t st) {
  if (st != ASTER_IROH_OK && st != ASTER_IROH_DONE) die(what, st);
}

// What a completion hands a waiting coroutine (coroutine mode).
struct Reply {
  int32_t status = 0;
  uint64_t code = 0;
  aster_iroh_handle h1 = 0, h2 = 0;
  const uint8_t* data = nullptr;
  size_t len = 0;
};

// Completion handlers of one type H in numbered slots, with no allocation per operation: the
// handler's type is only known where an operation starts (asio::async_initiate), so a slot
// also keeps the function that completes it.
template <typename H>
std::vector<std::optional<H>>& handler_slots() {
  static std::vector<std::optional<H>> slots(1024);
  return slots;
}
using Completer = void (*)(size_t slot, const Reply& r);
template <typename H>
void complete_slot(size_t slot, const Reply& r) {
  auto& slots = handler_slots<H>();
  H h = std::move(*slots[slot]);
  slots[slot].reset();
  std::move(h)(r);
}

constexpr uint64_t kOpBase = 1000;  // user_data of a coroutine's operation: kOpBase + slot

struct Bench {
  aster_iroh_rt* rt = nullptr;
  // Coroutine mode: the same requests as asio coroutines on one io_context run inside the
  // drive (64 client loops, each awaiting its call; answer loops awaiting accepted streams).
  bool coroutines = false;
  asio::io_context io{1};
  std::vector<Completer> completers = std::vector<Completer>(1024);
  std::vector<size_t> free_slots;
  std::deque<Reply> ready;               // accepted streams no answer loop waits for yet
  std::deque<size_t> accept_waiters;     // slots of answer loops waiting for a stream

  // Handlers still waiting at the end (the answer loops) are destroyed before the io_context.
  std::vector<void (*)()> clearers;
  ~Bench() {
    for (auto clear : clearers) clear();
  }

  template <typename H>
  size_t park(H&& h) {
    using Stored = std::decay_t<H>;
    static const bool registered = [this] {
      clearers.push_back([] { handler_slots<Stored>().clear(); });
      return true;
    }();
    (void)registered;
    if (free_slots.empty()) die("out of handler slots");
    const size_t slot = free_slots.back();
    free_slots.pop_back();
    handler_slots<Stored>()[slot].emplace(std::forward<H>(h));
    completers[slot] = &complete_slot<Stored>;
    return slot;
  }
  void complete(size_t slot, const Reply& r) {
    free_slots.push_back(slot);
    completers[slot](slot, r);
  }

  asio::awaitable<Reply> call_op() {
    return asio::async_initiate<decltype(asio::use_awaitable), void(Reply)>(
        [this](auto h) {
          const size_t slot = park(std::move(h));
          aster_iroh_op op = 0;
          check("open_bi_call", aster_iroh_open_bi_call(rt, client_conn, msg.data(), msg.size(),
                                                        ASTER_IROH_SEND_FIN, 1 << 16, 1,
                                                        kOpBase + slot, &op));
        },
        asio::use_awaitable);
  }
  asio::awaitable<Reply> read_to_end_op(aster_iroh_handle recv) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(Reply)>(
        [this, recv](auto h) {
          const size_t slot = park(std::move(h));
          aster_iroh_op op = 0;
          aster_iroh_event now{};
          int32_t st = aster_iroh_recv(rt, recv, 1 << 16, ASTER_IROH_RECV_TO_END,
                                       kOpBase + slot, &op, &now);
          check("recv", st);
          if (st == ASTER_IROH_DONE) {
            if (now.lease != 0) leases.push_back(now.lease);
            complete(slot, Reply{now.status, now.code, 0, 0, now.data, now.len});
          }
        },
        asio::use_awaitable);
  }
  asio::awaitable<Reply> accept_op() {
    return asio::async_initiate<decltype(asio::use_awaitable), void(Reply)>(
        [this](auto h) {
          const size_t slot = park(std::move(h));
          accept_waiters.push_back(slot);
        },
        asio::use_awaitable);
  }
  asio::awaitable<void> client_loop() {
    while (issued < total) {
      ++issued;
      Reply r = co_await call_op();
      if (r.status != ASTER_IROH_OK) die("open_bi_call", r.status);
      // A whole answer (ACCEPT_FIN) comes without halves: the bridge dropped them (ABI 13).
      if (r.h1 != 0) frees.push_back(r.h1);
      if (r.h2 != 0) frees.push_back(r.h2);
      if ((r.code & ASTER_IROH_ACCEPT_FIN) == 0) {
        // The answer's FIN (and maybe its bytes) come later: rare on loopback, common under
        // valgrind.
        const size_t first = r.len;
        Reply rest = co_await read_to_end_op(r.h2);
        if (rest.status != ASTER_IROH_FIN) die("read to end", rest.status);
        r.len = first + rest.len;
      }
      if (r.len != kMsg) die("short echo");
      answered();
    }
  }
  asio::awaitable<void> answer_loop() {
    for (;;) {
      Reply in;
      if (!ready.empty()) {
        in = ready.front();
        ready.pop_front();
      } else {
        in = co_await accept_op();
      }
      (void)aster_iroh_grant(rt, server_streams, 1);
      // A whole request (ACCEPT_FIN) comes without its recv half: the bridge dropped it (ABI 14).
      if (in.h2 != 0) frees.push_back(in.h2);
      if ((in.code & ASTER_IROH_ACCEPT_FIN) != 0) {
        answer(in.h1, in.data, in.len);
        continue;
      }
      std::vector<uint8_t> bytes(in.data, in.data + in.len);
      Reply rest = co_await read_to_end_op(in.h2);
      if (rest.status != ASTER_IROH_FIN) die("read to end", rest.status);
      bytes.insert(bytes.end(), rest.data, rest.data + rest.len);
      answer(in.h1, bytes.data(), bytes.size());
    }
  }
  // Coroutine mode: an event that resumes a coroutine (true), or one for on() (false).
  bool resume(const aster_iroh_event& e) {
    const Reply r{e.status, e.code, e.h1, e.h2, e.data, e.len};
    if ((e.kind == ASTER_IROH_EV_OPEN_BI || e.kind == ASTER_IROH_EV_READ) &&
        e.user_data >= kOpBase) {
      complete(e.user_data - kOpBase, r);
      return true;
    }
    if (e.kind == ASTER_IROH_EV_ACCEPT_BI && e.status == ASTER_IROH_OK) {
      if (accept_waiters.empty()) {
        ready.push_back(r);
      } else {
        const size_t slot = accept_waiters.front();
        accept_waiters.pop_front();
        complete(slot, r);
      }
      return true;
    }
    return false;
  }

  std::vector<uint64_t> endpoints;
  aster_iroh_handle server_conn = 0, client_conn = 0;
  aster_iroh_op server_streams = 0;
  std::vector<uint8_t> msg = std::vector<uint8_t>(kMsg, 9);
  long total = 0, issued = 0, done = 0;
  bool finished = false;
  std::chrono::steady_clock::time_point t0;
  double cpu0 = 0, secs = 0, cpu_per_req = 0;
  std::vector<aster_iroh_handle> frees;
  std::vector<uint64_t> leases;
  struct Partial {
    aster_iroh_handle send;
    std::vector<uint8_t> bytes;  // the request's first bytes
  };
  std::unordered_map<aster_iroh_handle, Partial> server_reads;  // by recv half
  std::unordered_map<aster_iroh_handle, size_t> answer_firsts;  // client: bytes before the FIN

  void call() {
    ++issued;
    aster_iroh_op op = 0;
    check("open_bi_call", aster_iroh_open_bi_call(rt, client_conn, msg.data(), msg.size(),
                                                  ASTER_IROH_SEND_FIN, 1 << 16, 1, kCall, &op));
  }

  void start_load() {
    if (coroutines) {
      for (size_t i = 0; i < completers.size(); ++i) free_slots.push_back(i);
      for (int i = 0; i < kInFlight; ++i) {
        asio::co_spawn(io, client_loop(), asio::detached);
        asio::co_spawn(io, answer_loop(), asio::detached);
      }
      return;
    }
    for (int i = 0; i < kInFlight && issued < total; ++i) call();
  }

  void answered() {
    if (++done == kWarmUp) {
      t0 = std::chrono::steady_clock::now();
      cpu0 = cpu_us();
    } else if (done == total) {
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      cpu_per_req = (cpu_us() - cpu0) / static_cast<double>(total - kWarmUp);
      finished = true;
    } else if (!coroutines && issued < total) {
      call();
    }
  }

  // The server's answer to a whole request: the same bytes back, then FIN.
  void answer(aster_iroh_handle send, const uint8_t* data, size_t len) {
    aster_iroh_op op = 0;
    aster_iroh_event now{};
    // SEND_RELEASE (ABI 14): written at once, the send half is freed with it; else the WRITE
    // event frees it.
    int32_t st = aster_iroh_send(rt, send, data, len, ASTER_IROH_SEND_FIN | ASTER_IROH_SEND_RELEASE,
                                 send, &op, &now);
    check("send", st);
  }

  void on(const aster_iroh_event& e) {
    if (e.lease != 0) leases.push_back(e.lease);
    if (coroutines && resume(e)) return;
    switch (e.kind) {
      case ASTER_IROH_EV_ENDPOINT_CREATE:
        if (e.status != ASTER_IROH_OK) die("endpoint_create", e.status);
        endpoints.push_back(e.h1);
        break;
      case ASTER_IROH_EV_ACCEPT: {
        if (e.status != ASTER_IROH_OK) die("accept", e.status);
        server_conn = e.h1;
        check("accept_bi_each_read",
              aster_iroh_accept_bi_each_read(rt, server_conn, 256, 1 << 16, kServerStreams,
                                             &server_streams));
        break;
      }
      case ASTER_IROH_EV_CONNECT:
        if (e.status != ASTER_IROH_OK) die("connect", e.status);
        client_conn = e.h1;
        start_load();
        break;
      case ASTER_IROH_EV_ACCEPT_BI: {
        if (e.status != ASTER_IROH_OK) break;  // the connection ended
        (void)aster_iroh_grant(rt, server_streams, 1);
        if ((e.code & ASTER_IROH_ACCEPT_FIN) != 0) {  // no recv half (ABI 14)
          answer(e.h1, e.data, e.len);
          break;
        }
        // The rest of the request (and its FIN) comes later: read it to the end first.
        server_reads.emplace(e.h2, Partial{e.h1, std::vector<uint8_t>(e.data, e.data + e.len)});
        read_to_end(e.h2);
        break;
      }
      case ASTER_IROH_EV_WRITE:
        if (e.status != ASTER_IROH_OK) die("write", e.status);
        frees.push_back(e.user_data);
        break;
      case ASTER_IROH_EV_OPEN_BI: {
        if (e.status != ASTER_IROH_OK) die("open_bi_call", e.status);
        if ((e.code & ASTER_IROH_ACCEPT_FIN) != 0) {
          // The whole answer: no halves to free (ABI 13).
          if (e.len != kMsg) die("short echo");
          answered();
        } else {
          frees.push_back(e.h1);
          if (e.len != 0) answer_firsts.emplace(e.h2, e.len);  // rare on loopback
          read_to_end(e.h2);
        }
        break;
      }
      case ASTER_IROH_EV_READ:
        read_done(e);
        break;
      default:
        break;
    }
  }

  // A read to the end of a request (server) or an answer (client), user_data its recv half.
  void read_to_end(aster_iroh_handle recv) {
    aster_iroh_op op = 0;
    aster_iroh_event now{};
    int32_t st = aster_iroh_recv(rt, recv, 1 << 16, ASTER_IROH_RECV_TO_END, recv, &op, &now);
    check("recv", st);
    if (st == ASTER_IROH_DONE) {
      if (now.lease != 0) leases.push_back(now.lease);
      now.user_data = recv;
      read_done(now);
    }
  }

  void read_done(const aster_iroh_event& e) {
    if (e.status != ASTER_IROH_FIN) die("read to end", e.status);
    frees.push_back(e.user_data);
    if (auto it = server_reads.find(e.user_data); it != server_reads.end()) {
      Partial p = std::move(it->second);
      server_reads.erase(it);
      p.bytes.insert(p.bytes.end(), e.data, e.data + e.len);
      answer(p.send, p.bytes.data(), p.bytes.size());
      return;
    }
    size_t len = e.len;
    if (auto it = answer_firsts.find(e.user_data); it != answer_firsts.end()) {
      len += it->second;
      answer_firsts.erase(it);
    }
    if (len != kMsg) die("short echo");
    answered();
  }

  // One round of the drive: every queued event, then the gathered frees and leases at once.
  int64_t step() {
    aster_iroh_event evs[64];
    size_t n = 0, got;
    while ((got = aster_iroh_poll(rt, evs, 64)) > 0) {
      n += got;
      if (!coroutines) {
        for (size_t i = 0; i < got; ++i) on(evs[i]);
        continue;
      }
      // Resumed inside the io_context, as the C++ transport resumes its coroutines.
      asio::post(io, [this, &evs, got] {
        for (size_t i = 0; i < got; ++i) on(evs[i]);
      });
      io.poll();
      io.restart();
    }
    if (!frees.empty() || !leases.empty()) {
      (void)aster_iroh_release_many(rt, frees.data(), frees.size(), leases.data(),
                                    leases.size());
      frees.clear();
      leases.clear();
    }
    if (finished) return -1;
    return static_cast<int64_t>(n);
  }
};

int64_t step_fn(void* ctx) { return static_cast<Bench*>(ctx)->step(); }

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  const long timed = argc > 1 ? std::max(1L, std::atol(argv[1])) : 400000;
  b.coroutines = argc > 2 && std::string(argv[2]) == "coroutines";
  b.total = kWarmUp + timed;
  aster_iroh_runtime_cfg cfg{};
  cfg.struct_size = sizeof cfg;
  cfg.flavor = ASTER_IROH_RT_CALLER_DRIVEN;
  check("runtime_new", aster_iroh_runtime_new(&cfg, &b.rt));

  // Two endpoints on loopback, relays off: the server serves "bench/rpc".
  aster_iroh_bytes alpn{reinterpret_cast<const uint8_t*>("bench/rpc"), 9};
  for (int i = 0; i < 2; ++i) {
    aster_iroh_endpoint_cfg ecfg{};
    ecfg.struct_size = sizeof ecfg;
    ecfg.relay_mode = ASTER_IROH_RELAY_DISABLED;
    ecfg.bind_v4 = "127.0.0.1:0";
    ecfg.max_bidi_streams = 1024;
    if (i == 0) {
      ecfg.alpns = &alpn;
      ecfg.alpns_len = 1;
    }
    aster_iroh_op op = 0;
    check("endpoint_create", aster_iroh_endpoint_create(b.rt, &ecfg, kEndpoint, &op));
    // One endpoint at a time, so endpoints[0] is the server.
    while (b.endpoints.size() < static_cast<size_t>(i + 1)) {
      check("turn", aster_iroh_runtime_turn(b.rt, 1000));
      aster_iroh_event e{};
      while (aster_iroh_poll(b.rt, &e, 1) == 1) b.on(e);
    }
  }
  aster_iroh_sockaddr addrs[8];
  char relay[256];
  aster_iroh_addr_out out{};
  out.struct_size = sizeof out;
  out.relay_url = relay;
  out.relay_cap = sizeof relay;
  out.addrs = addrs;
  out.addrs_cap = 8;
  check("endpoint_addr", aster_iroh_endpoint_addr(b.rt, b.endpoints[0], &out));
  aster_iroh_connect_cfg ccfg{};
  ccfg.struct_size = sizeof ccfg;
  std::memcpy(ccfg.endpoint_id, out.id, 32);
  ccfg.addrs = addrs;
  ccfg.addrs_len = out.addrs_len;
  ccfg.alpn = alpn;
  aster_iroh_op op = 0;
  check("accept_next", aster_iroh_accept_next(b.rt, b.endpoints[0], kServerAccept, &op));
  check("connect", aster_iroh_connect(b.rt, b.endpoints[1], &ccfg, kClientConnect, &op));

  check("drive", aster_iroh_runtime_drive(b.rt, step_fn, &b, 1000));
  std::printf("{\"rps_64\": %.0f, \"cpu_us_per_req\": %.2f, \"requests\": %ld}\n",
              static_cast<double>(timed) / b.secs, b.cpu_per_req, timed);
  (void)aster_iroh_runtime_shutdown(b.rt, 3000);
  return 0;
}
