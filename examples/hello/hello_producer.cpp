// A C++ Aster producer serving HelloService in dev mode (open gate). Prints its address (an
// aster1… ticket) on the first line of stdout, then serves until SIGINT/SIGTERM.
//   ./hello_producer            → aster1...
//   ./hello_consumer aster1...  → Hello, World!
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <iostream>

#include "aster/rpc/server.hpp"
#include "hello_service.hpp"

using demo::HelloRequest;
using demo::HelloResponse;

int main() {
  asio::io_context io;
  auto runtime = aster::transport::Runtime::create(io);
  if (!runtime) {
    std::cerr << "error: " << runtime.status().to_string() << "\n";
    return 1;
  }
  aster::Server server(*runtime);
  aster::rpc::ServiceImpl hello(demo::HelloService::descriptor());
  hello.unary<HelloRequest, HelloResponse>(
      "say_hello", [](HelloRequest req, aster::rpc::CallContext&)
                       -> asio::awaitable<aster::Result<HelloResponse>> {
        co_return HelloResponse{"Hello, " + req.name + "!"};
      });
  server.add(std::move(hello));

  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        aster::Status started = co_await server.start();
        if (!started.is_ok()) {
          std::cerr << "error: " << started.to_string() << "\n";
          exit_code = 1;
          io.stop();  // runtime->run() serves until the io_context is stopped
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
  runtime->shutdown();
  return exit_code;
}
