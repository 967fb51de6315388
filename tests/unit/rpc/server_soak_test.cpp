// Issue 10, "Reliability": one producer, 200 concurrent consumers (each its own admission and
// its own aster/1 connection, as aster::Client makes them; they share 8 client endpoints,
// because an iroh endpoint costs ≈4.5 MB and 200 of them in one test process cost 0.9 GB and
// 7 s to start) calling mixed patterns for a while — unary, large
// (compressed) unary, handler errors with several codes, server streams read to the end,
// cancelled mid-stream or failing part way, deadlines that expire, client streams (complete and
// failing) and bidi calls (complete, failing, abandoned). Every call must end
// with the outcome its kind expects; afterwards the producer holds no connection and no call.
// ctest runs 5 s; ASTER_SOAK_SECONDS=30 (and ASTER_SOAK_CONSUMERS) for the long run, which is
// meant for the asan preset.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/transport/quic_byte_stream.hpp"
#include "aster/trust/consumer_admission.hpp"
#include "rpc_test_service.hpp"

namespace {

using aster::StatusCode;
using aster::testing::CountRequest;
using aster::testing::EchoRequest;
using aster::testing::FailRequest;
using aster::testing::RpcTest;
using aster::testing::SlowRequest;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

enum Kind {
  kEcho,
  kBigEcho,
  kFail,
  kStream,
  kStreamCancel,
  kStreamFail,
  kDeadline,
  kCollect,
  kCollectFail,
  kChat,
  kChatFail,
  kChatCancel,
  kKinds
};
constexpr std::array<const char*, kKinds> kKindNames = {
    "unary",         "unary 8 KiB",          "handler error", "server stream",
    "stream cancelled", "stream error",      "deadline",      "client stream",
    "client stream error", "bidi",           "bidi error",    "bidi cancelled"};

struct Tally {
  std::array<long, kKinds> ok{};
  std::array<long, kKinds> wrong{};
  std::string first_wrong;
  int consumers_failed = 0;
  void note(Kind k, bool good, const std::string& why) {
    if (good) {
      ++ok[k];
    } else if (wrong[k]++ == 0 && first_wrong.empty()) {
      first_wrong = std::string(kKindNames[k]) + ": " + why;
    }
  }
};

// One call of kind `k`; true when it ended as that kind should.
asio::awaitable<bool> one_call(RpcTest::Client& svc, Kind k, std::mt19937& rng, std::string& why) {
  try {
    switch (k) {
      case kEcho:
      case kBigEcho: {
        EchoRequest req{"m" + std::to_string(rng()), std::string(k == kBigEcho ? 8192 : 16, 'z')};
        const std::string expect = req.message;
        auto reply = co_await svc.echo(std::move(req));
        co_return reply.message == expect && reply.data.size() == (k == kBigEcho ? 8192u : 16u);
      }
      case kFail: {
        static constexpr std::array<int64_t, 4> kCodes = {3, 5, 9, 13};
        const int64_t code = kCodes[rng() % kCodes.size()];
        FailRequest req{code, "planned"};
        try {
          (void)co_await svc.fail(std::move(req));
        } catch (const aster::RpcError& e) {
          co_return static_cast<int64_t>(e.code()) == code;
        }
        why = "no error";
        co_return false;
      }
      case kStream: {
        CountRequest req{5, -1, 0};
        auto stream = co_await svc.count(std::move(req));
        int64_t n = 0;
        while (auto item = co_await stream.next()) {
          if (item->i != n++) co_return false;
        }
        co_return n == 5;
      }
      case kStreamCancel: {
        CountRequest req{100000, -1, 1};
        auto stream = co_await svc.count(std::move(req));
        for (int i = 0; i < 3; ++i) {
          auto item = co_await stream.next();
          if (!item) co_return false;
        }
        stream.cancel();
        co_return true;
      }
      case kStreamFail: {
        CountRequest req{10, 2, 0};
        auto stream = co_await svc.count(std::move(req));
        int n = 0;
        try {
          while (auto item = co_await stream.next()) ++n;
        } catch (const aster::RpcError& e) {
          co_return e.code() == StatusCode::kFailedPrecondition && n == 2;
        }
        why = "stream ended without its error";
        co_return false;
      }
      case kDeadline: {
        SlowRequest req{2000};
        aster::rpc::CallOptions options;
        options.timeout = std::chrono::milliseconds(50);
        try {
          (void)co_await svc.slow(std::move(req), std::move(options));
        } catch (const aster::RpcError& e) {
          co_return e.code() == StatusCode::kDeadlineExceeded;
        }
        why = "no deadline error";
        co_return false;
      }
      case kCollect: {  // client stream: 5 items, one joined reply
        auto call = co_await svc.collect();
        std::string expect;
        for (int i = 0; i < 5; ++i) {
          const EchoRequest item{std::to_string(i), "d"};
          co_await call.write(item);
          expect += (i == 0 ? "" : "|") + std::to_string(i);
        }
        auto reply = co_await call.finish();
        co_return reply.message == expect && reply.data == "ddddd";
      }
      case kCollectFail: {  // client stream whose handler fails on the first item
        auto call = co_await svc.collect_fail();
        const FailRequest item{9, "planned"};
        try {
          co_await call.write(item);
          co_await call.write(item);
          (void)co_await call.finish();
        } catch (const aster::RpcError& e) {
          co_return e.code() == StatusCode::kFailedPrecondition;
        }
        why = "no error";
        co_return false;
      }
      case kChat: {  // bidi: 3 round trips, then end of input and the OK trailer
        auto call = co_await svc.chat();
        for (int i = 0; i < 3; ++i) {
          const EchoRequest item{"c" + std::to_string(i), ""};
          co_await call.write(item);
          auto reply = co_await call.next();
          if (!reply || reply->message != item.message) co_return false;
        }
        co_await call.done_writing();
        auto end = co_await call.next();
        co_return !end.has_value();
      }
      case kChatFail: {  // bidi: one echoed item, then the handler's error
        auto call = co_await svc.chat_fail();
        const FailRequest ok_item{0, "fine"};
        const FailRequest bad_item{5, "planned"};
        co_await call.write(ok_item);
        auto first = co_await call.next();
        if (!first || first->message != "fine") co_return false;
        try {
          co_await call.write(bad_item);
          auto more = co_await call.next();
          why = more ? "an item instead of the error" : "OK instead of the error";
        } catch (const aster::RpcError& e) {
          co_return e.code() == StatusCode::kNotFound;
        }
        co_return false;
      }
      case kChatCancel: {  // bidi abandoned mid-conversation
        auto call = co_await svc.chat();
        const EchoRequest item{"bye", ""};
        co_await call.write(item);
        auto reply = co_await call.next();
        call.cancel();
        co_return reply && reply->message == "bye";
      }
      case kKinds:
        break;
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  co_return false;
}

// One consumer's aster/1 connection (what aster::Client's channel is).
class ConnectionChannel final : public aster::rpc::Channel {
 public:
  explicit ConnectionChannel(aster::transport::Connection conn) : conn_(std::move(conn)) {}
  ~ConnectionChannel() override { (void)conn_.close(0, "normal close"); }
  asio::awaitable<aster::Result<std::unique_ptr<aster::transport::ByteStream>>> open_stream()
      override {
    ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await conn_.open_bi());
    co_return aster::transport::make_quic_byte_stream(std::move(stream));
  }

 private:
  aster::transport::Connection conn_;
};

// Admission, then an aster/1 connection to the channel the producer offers, from `endpoint`.
asio::awaitable<aster::Result<std::shared_ptr<aster::rpc::Channel>>> consumer_channel(
    aster::transport::Endpoint& endpoint, const aster::transport::EndpointAddr& producer) {
  const aster::trust::ConsumerAdmissionRequest open_gate;
  aster::trust::ConsumerAdmissionOptions options;
  options.timeout = std::chrono::seconds(60);
  ASTER_CO_ASSIGN_OR_RETURN(auto admission, co_await aster::trust::request_consumer_admission(
                                                endpoint, producer, open_gate, options));
  if (!admission.admitted || admission.services.size() != 1) {
    co_return aster::Status(aster::StatusCode::kPermissionDenied, "not admitted");
  }
  ASTER_CO_ASSIGN_OR_RETURN(
      auto rpc_addr, aster::transport::parse_endpoint_addr(admission.services[0].channels["rpc"]));
  ASTER_CO_ASSIGN_OR_RETURN(auto conn, co_await endpoint.connect(rpc_addr, "aster/1"));
  co_return std::make_shared<ConnectionChannel>(std::move(conn));
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(ServerSoak, ManyConsumersMixedPatterns) {
  const int consumers = env_int("ASTER_SOAK_CONSUMERS", 200);
  const auto duration = std::chrono::seconds(env_int("ASTER_SOAK_SECONDS", 5));
  auto rt = aster::transport::BlockingRuntime::create().value();
  aster::rpc::ServerOptions options;
  options.bind_v4 = "127.0.0.1:0";
  aster::Server server(rt->runtime(), options);
  server.add(aster::testing::make_rpc_test_impl());
  ASSERT_TRUE(rt->run(server.start()).is_ok());
  asio::co_spawn(rt->io(), server.serve(), asio::detached);

  constexpr int kEndpoints = 8;
  Tally t;
  double seconds = 0;
  rt->run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    std::vector<aster::transport::Endpoint> endpoints;
    for (int i = 0; i < kEndpoints; ++i) {
      aster::transport::EndpointConfig cfg;
      cfg.bind_v4 = "127.0.0.1:0";
      auto ep = co_await rt->runtime().create_endpoint(cfg);
      if (!ep.is_ok()) {
        t.consumers_failed = consumers;
        t.first_wrong = ep.status().to_string();
        co_return;
      }
      endpoints.push_back(std::move(*ep));
    }
    auto producer = aster::transport::parse_endpoint_addr(server.endpoint_addr_b64()).value();
    int pending = consumers;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < consumers; ++c) {
      asio::co_spawn(
          ex,
          [&, c]() -> asio::awaitable<void> {
            std::mt19937 rng(static_cast<unsigned>(c) * 7919u + 1u);
            auto channel = co_await consumer_channel(endpoints[c % kEndpoints], producer);
            if (!channel.is_ok()) {
              if (t.consumers_failed++ == 0 && t.first_wrong.empty()) {
                t.first_wrong = "consumer: " + channel.status().to_string();
              }
            } else {
              RpcTest::Client svc(std::move(*channel), RpcTest::descriptor(), 1);
              // Each consumer calls for `duration` from the moment it is connected.
              const auto end = std::chrono::steady_clock::now() + duration;
              while (std::chrono::steady_clock::now() < end) {
                const Kind k = static_cast<Kind>(rng() % kKinds);
                std::string why;
                const bool good = co_await one_call(svc, k, rng, why);
                t.note(k, good, why);
              }
            }  // the channel (the connection) closes here
            if (--pending == 0) all_done.cancel();
          },
          asio::detached);
    }
    std::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (auto& ep : endpoints) (void)co_await ep.close();
  }());

  // Every consumer closed its connections: the producer lets go of all of them.
  for (int i = 0; i < 3000; ++i) {
    const auto load = server.load();
    if (load.connections == 0 && load.calls == 0) break;
    rt->run([]() -> asio::awaitable<void> {
      asio::steady_timer s(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
      co_await s.async_wait(asio::use_awaitable);
    }());
  }
  long total = 0, wrong = 0;
  std::string per_kind;
  for (int k = 0; k < kKinds; ++k) {
    total += t.ok[k] + t.wrong[k];
    wrong += t.wrong[k];
    per_kind += std::string(k == 0 ? "" : ", ") + kKindNames[k] + " " + std::to_string(t.ok[k]);
  }
  std::printf("[soak] %d consumers, %.1f s: %ld calls (%.0f/s), %ld unexpected, %d consumers "
              "failed; %s; peak RSS %ld KiB; producer after: %zu connections, %zu calls\n",
              consumers, seconds, total, total / seconds, wrong, t.consumers_failed,
              per_kind.c_str(), peak_rss_kib(), server.load().connections, server.load().calls);
  EXPECT_EQ(t.consumers_failed, 0) << t.first_wrong;
  EXPECT_EQ(wrong, 0) << t.first_wrong;
  for (int k = 0; k < kKinds; ++k) EXPECT_GT(t.ok[k], 0) << kKindNames[k];
  EXPECT_EQ(server.load().connections, 0u);
  EXPECT_EQ(server.load().calls, 0u);
  rt->run(server.close());
}

}  // namespace
