// The in-memory pipe mirrors a QUIC bidi stream: FIN, RESET_STREAM, STOP_SENDING, drop,
// back-pressure and cancellation (memory_pipe.hpp).
#include "aster/transport/memory_pipe.hpp"

#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "coroutine_test_support.hpp"

namespace {

using aster::Status;
using aster::StatusCode;
using aster::testing::run_coroutine_test;
using aster::transport::ByteStream;
using aster::transport::make_memory_pipe;

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

asio::awaitable<void> yield_once() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

TEST(MemoryPipe, DataThenFinThenEndOfStream) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    EXPECT_TRUE((co_await a->write(bytes("hello "))).is_ok());
    EXPECT_TRUE((co_await a->write_and_finish(bytes("world"))).is_ok());
    auto all = co_await b->read_to_end(1024);
    EXPECT_TRUE(all.is_ok());
    EXPECT_EQ(*all, bytes("hello world"));
    std::vector<uint8_t> buf(4);
    auto n = co_await b->read_some(buf);
    EXPECT_TRUE(n.is_ok() && *n == 0);  // stays at end of stream
    // The other direction is independent.
    EXPECT_TRUE((co_await b->write_and_finish(bytes("back"))).is_ok());
    EXPECT_EQ((co_await a->read_to_end(10)).value(), bytes("back"));
    EXPECT_EQ((co_await a->write(bytes("x"))).code(), StatusCode::kFailedPrecondition);
  });
}

TEST(MemoryPipe, BoundedBufferGivesBackPressure) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor(), 16);
    bool written = false;
    std::vector<uint8_t> big(1000, 7);
    asio::co_spawn(
        io,
        [&, w = a.get()]() -> asio::awaitable<void> {
          EXPECT_TRUE((co_await w->write(big)).is_ok());
          written = true;
          EXPECT_TRUE((co_await w->finish()).is_ok());
        },
        asio::detached);
    for (int i = 0; i < 5; ++i) co_await yield_once();
    EXPECT_FALSE(written);  // blocked: only 16 bytes fit and nobody reads
    std::vector<uint8_t> buf(64);
    auto n = co_await b->read_some(buf);
    EXPECT_TRUE(n.is_ok());
    EXPECT_LE(*n, 16u);
    auto rest = co_await b->read_to_end(2000);
    EXPECT_TRUE(rest.is_ok());
    EXPECT_EQ(*n + rest->size(), 1000u);
    EXPECT_TRUE(written);
  });
}

TEST(MemoryPipe, ResetFailsTheReaderAndDropsBufferedBytes) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    EXPECT_TRUE((co_await a->write(bytes("lost"))).is_ok());
    EXPECT_TRUE(a->reset(7).is_ok());
    std::vector<uint8_t> buf(8);
    auto n = co_await b->read_some(buf);
    EXPECT_FALSE(n.is_ok());
    EXPECT_EQ(n.status().code(), StatusCode::kAborted);
    EXPECT_NE(n.status().message().find("(7)"), std::string::npos);
  });
}

TEST(MemoryPipe, ResetWakesAWaitingReader) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    asio::co_spawn(
        io, [w = a.get()]() -> asio::awaitable<void> {
          co_await yield_once();
          EXPECT_TRUE(w->reset(3).is_ok());
        },
        asio::detached);
    std::vector<uint8_t> buf(8);
    auto n = co_await b->read_some(buf);
    EXPECT_EQ(n.status().code(), StatusCode::kAborted);
  });
}

TEST(MemoryPipe, StopFailsTheWriterEvenWhenBlocked) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor(), 4);
    asio::co_spawn(
        io, [r = b.get()]() -> asio::awaitable<void> {
          co_await yield_once();
          EXPECT_TRUE(r->stop(9).is_ok());
        },
        asio::detached);
    std::vector<uint8_t> big(100, 1);
    Status st = co_await a->write(big);
    EXPECT_EQ(st.code(), StatusCode::kAborted);
    EXPECT_NE(st.message().find("(9)"), std::string::npos);
  });
}

TEST(MemoryPipe, DroppingAnEndResetsAndStops) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    EXPECT_TRUE((co_await a->write(bytes("partial"))).is_ok());
    a.reset();
    std::vector<uint8_t> buf(8);
    EXPECT_EQ((co_await b->read_some(buf)).status().code(), StatusCode::kAborted);
    EXPECT_EQ((co_await b->write(bytes("x"))).code(), StatusCode::kAborted);
  });
}

TEST(MemoryPipe, FinishedThenDroppedStillReadsToEnd) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    EXPECT_TRUE((co_await a->write_and_finish(bytes("done"))).is_ok());
    a.reset();
    EXPECT_EQ((co_await b->read_to_end(100)).value(), bytes("done"));
  });
}

TEST(MemoryPipe, ReadToEndLimit) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    EXPECT_TRUE((co_await a->write_and_finish(std::vector<uint8_t>(100, 1))).is_ok());
    EXPECT_EQ((co_await b->read_to_end(99)).status().code(), StatusCode::kResourceExhausted);
  });
}

TEST(MemoryPipe, CancelledReadReturnsCancelled) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    asio::cancellation_signal signal;
    bool finished = false;
    std::vector<uint8_t> buf(8);
    asio::co_spawn(
        io,
        [&, r = b.get()]() -> asio::awaitable<void> {
          auto n = co_await r->read_some(buf);
          EXPECT_EQ(n.status().code(), StatusCode::kCancelled);
          finished = true;
        },
        asio::bind_cancellation_slot(signal.slot(), asio::detached));
    co_await yield_once();
    EXPECT_FALSE(finished);
    signal.emit(asio::cancellation_type::terminal);
    for (int i = 0; i < 3; ++i) co_await yield_once();
    EXPECT_TRUE(finished);
    // The pipe still works afterwards.
    EXPECT_TRUE((co_await a->write_and_finish(bytes("ok"))).is_ok());
    EXPECT_EQ((co_await b->read_to_end(10)).value(), bytes("ok"));
  });
}

}  // namespace
