// A C++ Aster consumer: admission (dev mode), then HelloService.say_hello("World").
//   ./hello_consumer <address>      (or ASTER_ENDPOINT_ADDR=<address> ./hello_consumer)
// Errors print as `Error: …` with exit code 1.
#include <iostream>

#include "aster/rpc/client.hpp"
#include "aster/transport/blocking.hpp"
#include "hello_service.hpp"

int main(int argc, char** argv) {
  auto runtime = aster::transport::BlockingRuntime::create();
  if (!runtime) {
    std::cerr << "Error: " << runtime.status().to_string() << "\n";
    return 1;
  }
  try {
    std::string message = (*runtime)->run([&]() -> asio::awaitable<std::string> {
      aster::Client client((*runtime)->runtime(), argc > 1 ? argv[1] : "");
      co_await client.connect();
      auto hello = co_await client.client<demo::HelloService>();
      demo::HelloRequest req{"World"};
      auto reply = co_await hello.say_hello(std::move(req));
      client.close();
      co_return reply.message;
    }());
    std::cout << message << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
}
