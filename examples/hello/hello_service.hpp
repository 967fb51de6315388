// The seed's HelloService, declared once: the same declaration gives the contract id (equal to
// the Python twin's in tests/interop/py/hello_producer.py), drives the producer's dispatch and
// gives the typed client its member functions.
#pragma once

#include <string>

#include "aster/codec/declare.hpp"
#include "aster/contract/service.hpp"
#include "aster/rpc/service_client.hpp"

namespace demo {

struct HelloRequest {
  std::string name;
};
ASTER_MESSAGE(HelloRequest, "demo.hello/HelloRequest", ASTER_FIELD(name))

struct HelloResponse {
  std::string message;
};
ASTER_MESSAGE(HelloResponse, "demo.hello/HelloResponse", ASTER_FIELD(message))

struct HelloService {
  static const aster::contract::ServiceDesc& descriptor() {
    static const aster::contract::ServiceDesc desc =
        aster::contract::ServiceDesc("HelloService")
            .version(1)
            .method(aster::contract::unary<HelloRequest, HelloResponse>("say_hello"));
    return desc;
  }

  class Client : public aster::rpc::ServiceClient {
   public:
    using ServiceClient::ServiceClient;
    asio::awaitable<HelloResponse> say_hello(HelloRequest req, aster::rpc::CallOptions o = {}) {
      return unary<HelloResponse>("say_hello", std::move(req), std::move(o));
    }
  };
};

}  // namespace demo
