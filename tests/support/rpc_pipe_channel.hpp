// An rpc::Channel whose streams are in-memory pipes served by a Dispatcher on the same
// io_context: the RPC unit tests run the typed client against the producer with no endpoint.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <memory>
#include <string>

#include "aster/rpc/call.hpp"
#include "aster/rpc/dispatcher.hpp"
#include "aster/transport/memory_pipe.hpp"

namespace aster::testing {

class PipeChannel final : public rpc::Channel {
 public:
  PipeChannel(asio::any_io_executor ex, const rpc::Dispatcher& d, std::string peer = "peer-under-test")
      : ex_(std::move(ex)), d_(&d), peer_(std::move(peer)), counts_(std::make_shared<Counts>()) {}

  asio::awaitable<Result<std::unique_ptr<transport::ByteStream>>> open_stream() override {
    auto [client, server] = transport::make_memory_pipe(ex_);
    ++counts_->opened;
    asio::co_spawn(ex_, serve(d_, std::move(server), peer_, counts_), asio::detached);
    co_return std::move(client);
  }

  // Streams opened, and streams whose Dispatcher::serve_stream has returned (the producer let
  // go of the call).
  int opened() const { return counts_->opened; }
  int served() const { return counts_->served; }

 private:
  struct Counts {
    int opened = 0;
    int served = 0;
  };
  static asio::awaitable<void> serve(const rpc::Dispatcher* d,
                                     std::unique_ptr<transport::ByteStream> end, std::string peer,
                                     std::shared_ptr<Counts> counts) {
    co_await d->serve_stream(*end, std::move(peer));
    ++counts->served;
  }

  asio::any_io_executor ex_;
  const rpc::Dispatcher* d_;
  std::string peer_;
  std::shared_ptr<Counts> counts_;
};

}  // namespace aster::testing
