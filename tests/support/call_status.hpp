// How a test call ended, as a status: the RPC unit tests and the interop suites assert on it.
#pragma once

#include <asio/awaitable.hpp>

#include "aster/rpc/errors.hpp"
#include "aster/status.hpp"

namespace aster::testing {

// Awaits `call()` (returning asio::awaitable<void>): OK, or the status of the RpcError it threw.
template <typename F>
asio::awaitable<Status> status_of_call(F call) {
  try {
    co_await call();
  } catch (const RpcError& e) {
    co_return e.status();
  }
  co_return Status::ok();
}

}  // namespace aster::testing
