// A consumer process for server_kill_test.cpp: connects to the producer at argv[1], starts
// argv[2] calls that stay in flight (long server streams, a slow unary call, and unary calls in
// a loop), prints "ready" once they are all started, and keeps going until it is SIGKILLed.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "aster/rpc/client.hpp"
#include "aster/transport/blocking.hpp"
#include "rpc_test_service.hpp"

using aster::testing::CountRequest;
using aster::testing::EchoRequest;
using aster::testing::RpcTest;
using aster::testing::SlowRequest;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <producer address> <calls>\n", argv[0]);
    return 2;
  }
  const std::string address = argv[1];
  const int calls = std::atoi(argv[2]);
  auto rt = aster::transport::BlockingRuntime::create();
  if (!rt.is_ok()) return 1;
  aster::transport::BlockingRuntime& runtime = **rt;
  aster::Client client(runtime.runtime(), address);
  runtime.run([&]() -> asio::awaitable<void> {
    co_await client.connect();
    auto svc = std::make_shared<RpcTest::Client>(co_await client.client<RpcTest>());
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < calls; ++i) {
      asio::co_spawn(
          ex,
          [svc, i]() -> asio::awaitable<void> {
            if (i % 3 == 0) {
              CountRequest req{1000000, -1, 10};  // a server stream that never ends in time
              auto stream = co_await svc->count(std::move(req));
              while (co_await stream.next()) {
              }
            } else if (i % 3 == 1) {
              SlowRequest req{600000};  // a unary handler that sleeps 10 min
              (void)co_await svc->slow(std::move(req));
            } else {
              while (true) {
                EchoRequest req{"x", std::string(8192, 'y')};  // over the zstd threshold
                (void)co_await svc->echo(std::move(req));
              }
            }
          },
          asio::detached);
    }
    std::printf("ready\n");
    std::fflush(stdout);
  }());
  // Keep serving the calls until killed.
  runtime.run([]() -> asio::awaitable<void> {
    asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await forever.async_wait(asio::use_awaitable);
  }());
  return 0;
}
