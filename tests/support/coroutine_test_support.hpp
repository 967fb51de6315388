// Runs a coroutine test body on a fresh io_context until everything spawned has finished.
#pragma once

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <exception>

namespace aster::testing {

// `body` is called with the io_context and returns asio::awaitable<void>.
template <typename Body>
void run_coroutine_test(Body body) {
  asio::io_context io;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body(io);
        done = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  EXPECT_TRUE(done) << "test coroutine did not finish (deadlock?)";
}

}  // namespace aster::testing
