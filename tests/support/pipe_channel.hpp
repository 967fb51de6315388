// A Channel whose streams are in-memory pipes served by a Dispatcher on the same io_context:
// the RPC unit tests run producer and consumer in one process without an endpoint.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <memory>
#include <string>

#include "aster/rpc/call.hpp"
#include "aster/rpc/dispatcher.hpp"
#include "aster/transport/memory_pipe.hpp"

namespace aster::testing {

inline asio::awaitable<void> serve_pipe_end(const rpc::Dispatcher* d,
                                            std::unique_ptr<transport::ByteStream> end,
                                            std::string peer) {
  co_await d->serve_stream(*end, std::move(peer));
}

class PipeChannel final : public rpc::Channel {
 public:
  PipeChannel(asio::any_io_executor ex, const rpc::Dispatcher& d,
              std::string peer = "peer-under-test")
      : ex_(std::move(ex)), d_(&d), peer_(std::move(peer)) {}
  asio::awaitable<Result<std::unique_ptr<transport::ByteStream>>> open_stream() override {
    auto [client, server] = transport::make_memory_pipe(ex_);
    asio::co_spawn(ex_, serve_pipe_end(d_, std::move(server), peer_), asio::detached);
    co_return std::move(client);
  }

 private:
  asio::any_io_executor ex_;
  const rpc::Dispatcher* d_;
  std::string peer_;
};

}  // namespace aster::testing
