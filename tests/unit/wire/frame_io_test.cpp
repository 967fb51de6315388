// FrameReader / FrameWriter over the in-memory pipe: frames across chunk boundaries, the size
// limit on the prefix, end-of-stream rules (0.1.2: failure in the prefix = clean end, short
// body = error), compression above the threshold.
#include "aster/wire/frame_io.hpp"

#include <gtest/gtest.h>

#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "aster/transport/memory_pipe.hpp"
#include "aster/wire/compression.hpp"
#include "coroutine_test_support.hpp"

namespace {

using aster::StatusCode;
using aster::testing::run_coroutine_test;
using aster::transport::make_memory_pipe;
using namespace aster::wire;

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(FrameIo, FramesAcrossTinyChunksThenCleanEnd) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    // Capacity 7: every frame crosses several pipe reads.
    auto [a, b] = make_memory_pipe(io.get_executor(), 7);
    std::vector<Frame> sent = {{flags::kHeader, bytes("header")},
                               {0, bytes("x")},
                               {0, std::vector<uint8_t>(5000, 'z')},
                               {flags::kCancel, {}},
                               {flags::kTrailer, bytes("status")}};
    asio::co_spawn(
        io,
        [&sent, w = a.get()]() -> asio::awaitable<void> {
          FrameWriter writer(*w);
          for (size_t i = 0; i + 1 < sent.size(); ++i) {
            EXPECT_TRUE((co_await writer.write(sent[i].flags, sent[i].payload)).is_ok());
          }
          EXPECT_TRUE(
              (co_await writer.write_and_finish(sent.back().flags, sent.back().payload)).is_ok());
        },
        asio::detached);
    FrameReader reader(*b);
    for (const Frame& want : sent) {
      auto f = co_await reader.next();
      EXPECT_TRUE(f.is_ok() && f->has_value()) << f.status().to_string();
      if (!f.is_ok() || !f->has_value()) co_return;
      EXPECT_EQ(**f, want);
    }
    auto end = co_await reader.next();
    EXPECT_TRUE(end.is_ok() && !end->has_value());
    auto again = co_await reader.next();
    EXPECT_TRUE(again.is_ok() && !again->has_value());
  });
}

TEST(FrameIo, OversizePrefixIsRefusedBeforeTheBody) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    // len = MAX + 1, and no body at all: the reader must not wait for 16 MiB.
    std::vector<uint8_t> prefix = {0x01, 0x00, 0x00, 0x01, 0x00};
    EXPECT_TRUE((co_await a->write(prefix)).is_ok());
    FrameReader reader(*b);
    auto f = co_await reader.next();
    EXPECT_EQ(f.status().code(), StatusCode::kResourceExhausted);
  });
}

TEST(FrameIo, ZeroLengthIsAnError) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    std::vector<uint8_t> zero = {0, 0, 0, 0};
    EXPECT_TRUE((co_await a->write_and_finish(zero)).is_ok());
    FrameReader reader(*b);
    EXPECT_EQ((co_await reader.next()).status().code(), StatusCode::kInvalidArgument);
  });
}

TEST(FrameIo, ShortBodyIsAnError) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    std::vector<uint8_t> short_body = {10, 0, 0, 0, 0, 'a', 'b'};
    EXPECT_TRUE((co_await a->write_and_finish(short_body)).is_ok());
    FrameReader reader(*b);
    auto f = co_await reader.next();
    EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  });
}

TEST(FrameIo, EndInsideThePrefixIsACleanEnd) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    std::vector<uint8_t> half_prefix = {5, 0};
    EXPECT_TRUE((co_await a->write_and_finish(half_prefix)).is_ok());
    FrameReader reader(*b);
    auto f = co_await reader.next();
    EXPECT_TRUE(f.is_ok() && !f->has_value());
    EXPECT_TRUE(reader.end_reason().is_ok()) << "a FIN is not a failure";
  });
}

// A reset before a frame reads as a clean end (0.1.2), but end_reason() keeps the failure, so
// a caller can name it (a call's "stream ended before the trailer: …").
TEST(FrameIo, ResetBeforeAFrameIsACleanEndResetInsideIsAnError) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    {
      auto [a, b] = make_memory_pipe(io.get_executor());
      EXPECT_TRUE(a->reset(1).is_ok());
      FrameReader reader(*b);
      auto f = co_await reader.next();
      EXPECT_TRUE(f.is_ok() && !f->has_value());
      EXPECT_FALSE(reader.end_reason().is_ok());
    }
    {
      auto [a, b] = make_memory_pipe(io.get_executor());
      FrameReader reader(*b);
      std::vector<uint8_t> partial = {10, 0, 0, 0, 0, 'a'};
      EXPECT_TRUE((co_await a->write(partial)).is_ok());
      asio::co_spawn(
          io, [w = a.get()]() -> asio::awaitable<void> {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            EXPECT_TRUE(w->reset(2).is_ok());
          },
          asio::detached);
      auto f = co_await reader.next();
      EXPECT_EQ(f.status().code(), StatusCode::kAborted);
    }
  });
}

TEST(FrameIo, DataAboveTheThresholdIsCompressed) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor(), 1 << 20);
    std::vector<uint8_t> at(kCompressionThreshold, 'a');
    std::vector<uint8_t> above(kCompressionThreshold + 1, 'b');
    FrameWriter writer(*a);
    EXPECT_TRUE((co_await writer.write_data(at)).is_ok());
    EXPECT_TRUE((co_await writer.write_data(above)).is_ok());
    EXPECT_TRUE((co_await writer.write_data(above, /*compress=*/false)).is_ok());
    EXPECT_TRUE((co_await a->finish()).is_ok());
    FrameReader reader(*b);
    auto f1 = co_await reader.next();
    auto f2 = co_await reader.next();
    auto f3 = co_await reader.next();
    EXPECT_TRUE(f1.is_ok() && f2.is_ok() && f3.is_ok());
    EXPECT_EQ((*f1)->flags, 0);
    EXPECT_EQ((*f1)->payload, at);
    EXPECT_EQ((*f2)->flags, flags::kCompressed);
    EXPECT_LT((*f2)->payload.size(), above.size());
    EXPECT_EQ(data_payload(std::move(**f2)).value(), above);
    EXPECT_EQ((*f3)->flags, 0);
  });
}

TEST(FrameIo, WriterRefusesWhatZeroOneTwoRefuses) {
  run_coroutine_test([](asio::io_context& io) -> asio::awaitable<void> {
    auto [a, b] = make_memory_pipe(io.get_executor());
    FrameWriter writer(*a);
    EXPECT_EQ((co_await writer.write(flags::kHeader, {})).code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE((co_await writer.write(flags::kTrailer, {})).is_ok());
  });
}

}  // namespace
