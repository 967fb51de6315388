// Issue 10, "Scale", against aster-rpc 0.1.2 both ways: calls beyond the peer's stream limit
// queue on QUIC stream credit and complete. A 0.1.2 producer keeps iroh's default of 100
// incoming streams per connection (it sets no transport config), so our consumer's 1,000
// concurrent calls wait for credit; and a 0.1.2 consumer's 1,000 concurrent calls against our
// producer run with our limit lowered to 50, so that it is 0.1.2's open_bi that waits.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "reference_peer.hpp"
#include "rpc_test_service.hpp"

namespace aster::interop {
namespace {

using aster::testing::CountRequest;
using aster::testing::RpcTest;
using aster::testing::SlowRequest;

// ASTER_SCALE_INTEROP_CALLS=<n> for a bigger one-off run (figures in docs/rpc.md).
const int kCalls = [] {
  const char* v = std::getenv("ASTER_SCALE_INTEROP_CALLS");
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : 1000;
}();

TEST(RpcScaleInterop, CppConsumerQueuesBeyondAPythonProducersStreamLimit) {
  ReferencePeer peer("rpc_test_producer.py", {});
  auto rt = transport::BlockingRuntime::create().value();
  struct Tally {
    int ok = 0;
    int failed = 0;
    std::string first_error;
    double seconds = 0;
  };
  Tally t = rt->run([&]() -> asio::awaitable<Tally> {
    Tally tally;
    rpc::Client client(rt->runtime(), peer.ready_info()["ticket"]);
    co_await client.connect();
    auto svc = co_await client.client<RpcTest>();
    auto ex = co_await asio::this_coro::executor;
    int pending = kCalls;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> asio::awaitable<void> {
            std::string error;
            try {
              if (i % 2 == 0) {
                SlowRequest req{50};  // holds the stream 50 ms at the producer
                auto reply = co_await svc.slow(std::move(req));
                if (reply.message != "slept") error = "reply " + reply.message;
              } else {
                CountRequest req{3, -1, 20};
                auto stream = co_await svc.count(std::move(req));
                int64_t n = 0;
                while (auto item = co_await stream.next()) {
                  if (item->i != n++) error = "out of order";
                }
                if (n != 3) error = "short stream";
              }
            } catch (const std::exception& e) {
              error = e.what();
            }
            if (error.empty()) {
              ++tally.ok;
            } else if (tally.failed++ == 0) {
              tally.first_error = error;
            }
            if (--pending == 0) all_done.cancel();
          },
          asio::detached);
    }
    std::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    tally.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    client.close();
    co_return tally;
  }());
  std::printf("[scale] C++ consumer -> Python 0.1.2 producer (limit 100): %d concurrent calls, "
              "%d ok, %d failed, %.2f s\n",
              kCalls, t.ok, t.failed, t.seconds);
  EXPECT_EQ(t.failed, 0) << t.first_error;
  EXPECT_EQ(t.ok, kCalls);
}

TEST(RpcScaleInterop, PythonConsumerQueuesBeyondOurProducersStreamLimit) {
  auto rt = transport::BlockingRuntime::create().value();
  rpc::ServerOptions options;
  options.bind_v4 = "127.0.0.1:0";
  options.max_concurrent_calls = 50;
  rpc::Server server(rt->runtime(), options);
  server.add(aster::testing::make_rpc_test_impl());
  ASSERT_TRUE(rt->run(server.start()).is_ok());
  asio::co_spawn(rt->io(), server.serve(), asio::detached);
  auto r = run_command({reference_python(),
                        std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/rpc_scale_consumer.py",
                        server.address(), std::to_string(kCalls)},
                       std::chrono::seconds(120));
  rt->run(server.close());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto result = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << r.out << r.err;
  std::printf("[scale] Python 0.1.2 consumer -> C++ producer (limit 50): %s\n",
              result.dump().c_str());
  EXPECT_EQ(result["failed"], 0) << result["first_error"];
  EXPECT_EQ(result["ok"], kCalls);
}

}  // namespace
}  // namespace aster::interop
