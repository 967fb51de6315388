// RpcBench: the service every Aster pair in bench/rpc measures. The same declaration in Python
// (bench/rpc/rpc_bench.py, aster-rpc 0.1.2) and, for gRPC, in bench/rpc/rpc_bench.proto; the
// tags, field names and methods are equal so the C++ consumer can call the Python producer.
//   echo(Blob) -> Blob            unary: 64-byte payload each way (unary rows)
//   stream(StreamRequest) -> Blob server stream: `count` items of `size` bytes (msgs/s)
//   upload(Blob) -> Ack           unary: a large payload one way, its size back (bulk MB/s)
#pragma once

#include <cstdint>

#include "aster/codec/declare.hpp"
#include "aster/contract/service.hpp"
#include "aster/rpc/service_client.hpp"
#include "aster/rpc/service_impl.hpp"

namespace aster::bench {

struct Blob {
  codec::Bytes data;
};
ASTER_MESSAGE(Blob, "bench.rpc/Blob", ASTER_FIELD(data))

struct StreamRequest {
  int64_t count = 0;
  int64_t size = 0;
};
ASTER_MESSAGE(StreamRequest, "bench.rpc/StreamRequest", ASTER_FIELD(count), ASTER_FIELD(size))

struct Ack {
  int64_t size = 0;
};
ASTER_MESSAGE(Ack, "bench.rpc/Ack", ASTER_FIELD(size))

struct RpcBench {
  static const contract::ServiceDesc& descriptor() {
    static const contract::ServiceDesc desc =
        contract::ServiceDesc("RpcBench")
            .version(1)
            .method(contract::unary<Blob, Blob>("echo"))
            .method(contract::server_stream<StreamRequest, Blob>("stream"))
            .method(contract::unary<Blob, Ack>("upload"));
    return desc;
  }

  class Client : public rpc::ServiceClient {
   public:
    using ServiceClient::ServiceClient;
    asio::awaitable<Blob> echo(Blob b) { return unary<Blob>("echo", std::move(b)); }
    asio::awaitable<rpc::ServerStream<Blob>> stream(StreamRequest r) {
      return server_stream<Blob>("stream", std::move(r));
    }
    asio::awaitable<Ack> upload(Blob b) { return unary<Ack>("upload", std::move(b)); }
  };
};

inline rpc::ServiceImpl make_rpc_bench_impl() {
  rpc::ServiceImpl impl(RpcBench::descriptor());
  impl.unary<Blob, Blob>(
      "echo", [](Blob b, rpc::CallContext&) -> asio::awaitable<Result<Blob>> { co_return b; });
  impl.server_stream<StreamRequest, Blob>(
      "stream",
      [](StreamRequest req, rpc::CallContext&,
         rpc::ServerWriter<Blob>& out) -> asio::awaitable<Status> {
        Blob item;
        item.data.assign(static_cast<size_t>(req.size), 0x5a);
        for (int64_t i = 0; i < req.count; ++i) {
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(item));
        }
        co_return Status::ok();
      });
  impl.unary<Blob, Ack>("upload", [](Blob b, rpc::CallContext&) -> asio::awaitable<Result<Ack>> {
    co_return Ack{static_cast<int64_t>(b.data.size())};
  });
  return impl;
}

}  // namespace aster::bench
