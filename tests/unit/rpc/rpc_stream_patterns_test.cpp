// Client-stream and bidi calls over the in-memory pipe: the typed client (ClientStreamWriter,
// BidiStream) and RawTransport against the Dispatcher in Fory and JSON modes — normal calls,
// 0 / many / large items, handler errors, deadlines, cancellation, the producer ending a bidi
// call before the consumer's FIN — and the producer's exact frames for 0.1.2's end-of-input,
// item-limit and malformed-input rules (aster-rpc@0972ac9:bindings/python/aster/server.py
// `_handle_client_stream`, `_handle_bidi_stream`).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>

#include "aster/rpc/dispatcher.hpp"
#include "aster/rpc/raw_transport.hpp"
#include "aster/transport/memory_pipe.hpp"
#include "aster/wire/compression.hpp"
#include "aster/wire/frame_io.hpp"
#include "aster/wire/messages.hpp"
#include "call_status.hpp"
#include "coroutine_test_support.hpp"
#include "rpc_pipe_channel.hpp"
#include "rpc_test_service.hpp"

namespace {

using namespace aster::testing;
using aster::RpcError;
using aster::Status;
using aster::StatusCode;
using aster::rpc::CallOptions;
using aster::rpc::Dispatcher;
namespace wire = aster::wire;

struct Fixture {
  Dispatcher dispatcher;
  std::shared_ptr<PipeChannel> channel;
  Fixture() { EXPECT_TRUE(dispatcher.add(make_rpc_test_impl()).is_ok()); }
  RpcTest::Client client(asio::io_context& io, bool json) {
    channel = std::make_shared<PipeChannel>(io.get_executor(), dispatcher);
    return RpcTest::Client(channel, RpcTest::descriptor(), 1, json);
  }
};

// Waits (polling the io_context) until `done()` holds: the producer side of a call runs on
// its own coroutine, and a test about its clean-up must let it finish.
template <typename Pred>
asio::awaitable<void> until(asio::io_context& io, Pred done) {
  asio::steady_timer t(io);
  while (!done()) {
    t.expires_after(std::chrono::milliseconds(1));
    co_await t.async_wait(asio::use_awaitable);
  }
}

constexpr StatusCode kHandlerCodes[] = {StatusCode::kNotFound, StatusCode::kPermissionDenied,
                                        StatusCode::kFailedPrecondition,
                                        StatusCode::kContractViolation};

std::string big_data(size_t n) {
  std::string s(n, 'x');
  for (size_t i = 0; i < s.size(); i += 89) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class StreamPatterns : public ::testing::TestWithParam<bool> {};  // param: JSON mode

// ---- client stream ----------------------------------------------------------------------------

TEST_P(StreamPatterns, ClientStreamCollectsEveryItem) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.metadata.emplace_back("x-echo", "md");
    auto w = co_await c.collect(o);
    for (const char* m : {"a", "b", "c"}) {
      EchoRequest req{m, std::string(m) + m};
      co_await w.write(req);
    }
    EchoReply r = co_await w.finish();
    EXPECT_EQ(r.message, "a|b|c");
    EXPECT_EQ(r.data, "aabbcc");
    EXPECT_EQ(r.metadata, "md");
    EXPECT_EQ(r.peer, "peer-under-test");
    co_await until(io, [&] { return f.channel->served() == 1; });
  });
}

TEST_P(StreamPatterns, ClientStreamWithNoItems) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    auto w = co_await c.collect();
    EchoReply r = co_await w.finish();
    EXPECT_EQ(r.message, "");
    EXPECT_EQ(r.data, "");
    auto none = co_await c.collect_fail();
    EXPECT_EQ((co_await none.finish()).message, "no items");
  });
}

TEST_P(StreamPatterns, ClientStreamManyAndLargeItems) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    auto w = co_await c.collect();
    const std::string big = big_data(4u << 20);
    EchoRequest empty{};
    co_await w.write(empty);  // a 0-length item (all defaults)
    EchoRequest large{"big", big};
    co_await w.write(large);  // 4 MiB, compressed in Fory mode
    EchoRequest over{"over", std::string(10000, 'z')};
    co_await w.write(over);   // past the 4096-byte compression threshold
    for (int i = 0; i < 2000; ++i) {
      EchoRequest one{"", "."};
      co_await w.write(one);
    }
    EchoReply r = co_await w.finish();
    EXPECT_EQ(r.data, big + std::string(10000, 'z') + std::string(2000, '.'));
    EXPECT_EQ(r.message.substr(0, 10), "|big|over|");
    EXPECT_EQ(r.message.size(), 9u + 2000u);
  });
}

TEST_P(StreamPatterns, ClientStreamHandlerErrors) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    for (StatusCode code : kHandlerCodes) {
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        auto w = co_await c.collect_fail();
        // The handler fails on the first item; the producer keeps reading the rest, so the
        // writes succeed and finish() reports the handler's status.
        for (int i = 0; i < 500; ++i) {
          FailRequest req{static_cast<int64_t>(code), "boom " + std::to_string(i)};
          co_await w.write(req);
        }
        (void)co_await w.finish();
      });
      EXPECT_EQ(st.code(), code);
      EXPECT_EQ(st.message(), "boom 0");
    }
    co_await until(io, [&] { return f.channel->served() == 4; });
  });
}

TEST_P(StreamPatterns, ClientStreamDeadline) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.timeout = std::chrono::milliseconds(50);
    // The handler outlives the deadline.
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      auto w = co_await c.collect_slow(o);
      SlowRequest req{5000};
      co_await w.write(req);
      (void)co_await w.finish();
    });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    // The consumer never ends its input: its own deadline ends the call, and the producer's
    // (the same instant, sent in the header) lets go of it.
    st = co_await status_of_call([&]() -> asio::awaitable<void> {
      auto w = co_await c.collect(o);
      EchoRequest req{"one", ""};
      co_await w.write(req);
      asio::steady_timer t(io, std::chrono::milliseconds(200));
      co_await t.async_wait(asio::use_awaitable);
      co_await w.write(req);
    });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    co_await until(io, [&] { return f.channel->served() == 2; });
    // Within the deadline the call succeeds.
    o.timeout = std::chrono::seconds(30);
    auto w = co_await c.collect_slow(o);
    SlowRequest quick{1};
    co_await w.write(quick);
    EXPECT_EQ((co_await w.finish()).message, "slept");
  });
}

TEST_P(StreamPatterns, ClientStreamCancel) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    auto w = co_await c.collect();
    EchoRequest req{"a", ""};
    co_await w.write(req);
    w.cancel();
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await w.finish(); });
    EXPECT_EQ(st.code(), StatusCode::kCancelled);
    // The producer sees the reset and lets go of the call.
    co_await until(io, [&] { return f.channel->served() == 1; });
    // Dropping an unfinished writer abandons the call the same way.
    {
      auto dropped = co_await c.collect();
      co_await dropped.write(req);
    }
    co_await until(io, [&] { return f.channel->served() == 2; });
  });
}

// ---- bidi -------------------------------------------------------------------------------------

TEST_P(StreamPatterns, BidiEchoesInTurn) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.metadata.emplace_back("x-echo", "md");
    auto s = co_await c.chat(o);
    for (const char* m : {"a", "b", "c"}) {
      EchoRequest req{m, "d"};
      co_await s.write(req);
      auto reply = co_await s.next();
      EXPECT_TRUE(reply.has_value());
      if (!reply) co_return;
      EXPECT_EQ(reply->message, m);
      EXPECT_EQ(reply->metadata, "md");
      EXPECT_EQ(reply->peer, "peer-under-test");
    }
    co_await s.done_writing();
    EXPECT_FALSE((co_await s.next()).has_value());
    EXPECT_FALSE((co_await s.next()).has_value());
    co_await until(io, [&] { return f.channel->served() == 1; });
  });
}

TEST_P(StreamPatterns, BidiWithNoItems) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    auto s = co_await c.chat();
    co_await s.done_writing();
    EXPECT_FALSE((co_await s.next()).has_value());
  });
}

TEST_P(StreamPatterns, BidiManyAndLargeItemsConcurrently) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    auto s = co_await c.chat();
    const std::string big = big_data(4u << 20);
    constexpr int kSmall = 1000;
    // A writer coroutine and this reader run at once (more than the pipe buffers).
    bool writer_done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          EchoRequest empty{};
          co_await s.write(empty);
          EchoRequest large{"big", big};
          co_await s.write(large);
          for (int i = 0; i < kSmall; ++i) {
            EchoRequest one{std::to_string(i), std::string(5000, 'y')};
            co_await s.write(one);
          }
          co_await s.done_writing();
          writer_done = true;
        },
        asio::detached);
    std::vector<EchoReply> got;
    while (auto r = co_await s.next()) got.push_back(std::move(*r));
    EXPECT_TRUE(writer_done);
    EXPECT_EQ(got.size(), 2u + kSmall);
    if (got.size() != 2u + kSmall) co_return;
    EXPECT_EQ(got[0].message, "");
    EXPECT_EQ(got[1].data, big);
    EXPECT_EQ(got.back().message, std::to_string(kSmall - 1));
    EXPECT_EQ(got.back().data, std::string(5000, 'y'));
  });
}

TEST_P(StreamPatterns, BidiHandlerErrors) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    for (StatusCode code : kHandlerCodes) {
      auto s = co_await c.chat_fail();
      FailRequest fine{0, "fine"};
      co_await s.write(fine);
      EXPECT_EQ((co_await s.next())->message, "fine");
      FailRequest bad{static_cast<int64_t>(code), "boom"};
      co_await s.write(bad);
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await s.next(); });
      EXPECT_EQ(st.code(), code);
      EXPECT_EQ(st.message(), "boom");
      // The call is over: writes report its status.
      st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await s.write(fine); });
      EXPECT_EQ(st.code(), code);
    }
    co_await until(io, [&] { return f.channel->served() == 4; });
  });
}

TEST_P(StreamPatterns, BidiProducerEndsBeforeTheConsumersFin) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    auto s = co_await c.chat_count();
    CountRequest req{3, -1, 0};
    co_await s.write(req);
    std::vector<int64_t> got;
    while (auto item = co_await s.next()) got.push_back(item->i);
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2}));
    // The producer keeps reading until our FIN, so late writes are not refused.
    for (int i = 0; i < 100; ++i) co_await s.write(req);
    co_await s.done_writing();
    co_await until(io, [&] { return f.channel->served() == 1; });
    // An error trailer before the consumer's FIN.
    auto e = co_await c.chat_count();
    CountRequest failing{5, 1, 0};
    co_await e.write(failing);
    EXPECT_EQ((co_await e.next())->i, 0);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await e.next(); });
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(st.message(), "failed at 1");
  });
}

TEST_P(StreamPatterns, BidiDeadline) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.timeout = std::chrono::milliseconds(100);
    auto s = co_await c.chat_count(o);
    CountRequest req{1000, -1, 20};
    co_await s.write(req);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (co_await s.next()) {
      }
    });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    // A consumer that neither writes nor reads: its next() times out.
    auto idle = co_await c.chat(o);
    st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await idle.next(); });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    co_await until(io, [&] { return f.channel->served() == 2; });
  });
}

TEST_P(StreamPatterns, BidiCancelMidStream) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    const int before = rpc_test_abandoned_streams();
    auto c = f.client(io, GetParam());
    auto s = co_await c.chat_count();
    CountRequest req{1000000, -1, 1};
    co_await s.write(req);
    EXPECT_EQ((co_await s.next())->i, 0);
    s.cancel();
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await s.next(); });
    EXPECT_EQ(st.code(), StatusCode::kCancelled);
    // The handler notices at its next write; the producer lets go of the call.
    co_await until(io, [&] { return f.channel->served() == 1; });
    EXPECT_EQ(rpc_test_abandoned_streams(), before + 1);
  });
}

// ---- raw transport ----------------------------------------------------------------------------

TEST_P(StreamPatterns, RawTransportStreamsWithValues) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    f.channel = std::make_shared<PipeChannel>(io.get_executor(), f.dispatcher);
    aster::rpc::RawTransport raw(f.channel, RpcTest::descriptor(), 1, GetParam());
    auto w = co_await raw.client_stream("collect");
    EXPECT_TRUE(w.is_ok()) << w.status().to_string();
    if (!w.is_ok()) co_return;
    for (const char* m : {"x", "y"}) {
      auto item = aster::Value::make_struct("test.rpc/EchoRequest", {{"message", m}, {"data", m}});
      EXPECT_TRUE((co_await w->write(item)).is_ok());
    }
    auto reply = co_await w->finish();
    EXPECT_TRUE(reply.is_ok()) << reply.status().to_string();
    if (reply.is_ok()) {
      EXPECT_EQ(reply->as_struct().find("message")->as_string(), "x|y");
    }

    auto b = co_await raw.bidi("chat");
    EXPECT_TRUE(b.is_ok()) << b.status().to_string();
    if (!b.is_ok()) co_return;
    auto hi = aster::Value::make_struct("test.rpc/EchoRequest", {{"message", "hi"}, {"data", ""}});
    EXPECT_TRUE((co_await b->write(hi)).is_ok());
    EXPECT_TRUE((co_await b->done_writing()).is_ok());
    std::vector<std::string> got;
    while (true) {
      auto item = co_await b->next();
      EXPECT_TRUE(item.is_ok()) << item.status().to_string();
      if (!item.is_ok() || !item->has_value()) break;
      got.push_back((*item)->as_struct().find("message")->as_string());
    }
    EXPECT_EQ(got, std::vector<std::string>{"hi"});
    // Pattern checks against the declaration.
    EXPECT_EQ((co_await raw.client_stream("chat")).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ((co_await raw.bidi("nope")).status().code(), StatusCode::kUnimplemented);
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamPatterns, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Json" : "Fory"; });

// ---- the producer's frames, byte level --------------------------------------------------------

struct Exchange {
  std::vector<wire::Frame> frames;  // what the producer sent before FIN
  bool clean_end = false;
  int served = 0;  // 1 once serve_stream returned
};

// Writes `request` (raw bytes), then FIN if `fin`, and returns every frame the dispatcher
// answers up to its FIN. Without FIN the consumer's end stays open until the answer is read.
Exchange exchange(Fixture& f, std::vector<uint8_t> request, bool fin = true) {
  Exchange out;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto [client, server] = aster::transport::make_memory_pipe(io.get_executor(), 1 << 20);
    asio::co_spawn(
        io,
        [&, end = std::move(server)]() mutable -> asio::awaitable<void> {
          co_await f.dispatcher.serve_stream(*end, "peer-under-test");
          ++out.served;
        },
        asio::detached);
    // Write concurrently: the producer may answer (and stop reading) before all is written.
    auto* c = client.get();
    asio::co_spawn(
        io,
        [c, request = std::move(request), fin]() -> asio::awaitable<void> {
          if ((co_await c->write(request)).is_ok() && fin) (void)co_await c->finish();
        },
        asio::detached);
    wire::FrameReader reader(*client);
    while (true) {
      auto frame = co_await reader.next();
      EXPECT_TRUE(frame.is_ok()) << frame.status().to_string();
      if (!frame.is_ok()) co_return;
      if (!frame->has_value()) break;
      out.frames.push_back(std::move(**frame));
    }
    out.clean_end = true;
    if (!fin) (void)co_await client->finish();
    co_await until(io, [&] { return out.served == 1; });
  });
  return out;
}

std::vector<uint8_t> frames(std::initializer_list<std::pair<uint8_t, std::vector<uint8_t>>> list) {
  std::vector<uint8_t> out;
  for (const auto& [fl, payload] : list) EXPECT_TRUE(wire::append_frame(out, fl, payload).is_ok());
  return out;
}

std::vector<uint8_t> header(std::string method, bool json = false, int64_t deadline = 0) {
  wire::StreamHeader h;
  h.service = "RpcTest";
  h.method = std::move(method);
  h.version = 1;
  h.call_id = "6f1b3c2e-0000-4000-8000-000000000000";
  h.deadline_epoch_ms = deadline;
  h.serialization_mode = json ? 3 : 0;
  return wire::encode_message(h, json).value();
}

std::vector<uint8_t> trailer(int64_t code, bool json = false) {
  return wire::encode_message(wire::RpcStatus{code, code == 0 ? "" : "client says no", {}, {}}, json)
      .value();
}

wire::RpcStatus trailer_of(const Exchange& e, bool expect_json) {
  EXPECT_FALSE(e.frames.empty());
  if (e.frames.empty()) return {};
  const auto& last = e.frames.back();
  EXPECT_EQ(last.flags, wire::flags::kTrailer);
  EXPECT_EQ(!last.payload.empty() && last.payload[0] == '{', expect_json);
  return wire::decode_rpc_status(last.payload).value_or(wire::RpcStatus{-1, "undecodable", {}, {}});
}

std::vector<uint8_t> echo_item(const std::string& message, bool json = false) {
  EchoRequest req{message, ""};
  return aster::rpc::encode_payload(req, json).value();
}

TEST(StreamPatternFrames, ClientStreamEndsWithFinOrAnOkTrailer) {
  for (bool json : {false, true}) {
    Fixture f;
    // FIN ends the input: one data frame, then the OK trailer in the stream's mode.
    auto e = exchange(f, frames({{wire::flags::kHeader, header("collect", json)},
                                 {0, echo_item("a", json)},
                                 {wire::flags::kCancel, {}},  // ignored on stateless streams
                                 {0, echo_item("b", json)}}));
    ASSERT_TRUE(e.clean_end);
    ASSERT_EQ(e.frames.size(), 2u);
    EXPECT_EQ(aster::rpc::decode_payload<EchoReply>(e.frames[0].payload, json).value().message, "a|b");
    EXPECT_EQ(trailer_of(e, json).code, 0);
    // TRAILER(OK) ends the input too, with the stream still open (0.1.2 session-style EoI).
    auto t = exchange(f,
                      frames({{wire::flags::kHeader, header("collect", json)},
                              {0, echo_item("c", json)},
                              {wire::flags::kTrailer, trailer(0, json)}}),
                      /*fin=*/false);
    ASSERT_EQ(t.frames.size(), 2u);
    EXPECT_EQ(aster::rpc::decode_payload<EchoReply>(t.frames[0].payload, json).value().message, "c");
    // A non-OK end-of-input trailer fails the call with INTERNAL, in the stream's mode.
    auto bad = exchange(f, frames({{wire::flags::kHeader, header("collect", json)},
                                   {0, echo_item("c", json)},
                                   {wire::flags::kTrailer, trailer(5, json)}}),
                        /*fin=*/false);
    auto st = trailer_of(bad, json);
    EXPECT_EQ(st.code, 13);
    EXPECT_EQ(st.message, "client sent non-OK EoI trailer (code=5)");
    EXPECT_EQ(bad.frames.size(), 1u);
  }
}

TEST(StreamPatternFrames, ClientStreamItemLimit) {
  Fixture f;
  auto many = [&](size_t n, bool json) {
    std::vector<uint8_t> out = frames({{wire::flags::kHeader, header("collect", json)}});
    const auto item = echo_item("", json);
    for (size_t i = 0; i < n; ++i) EXPECT_TRUE(wire::append_frame(out, 0, item).is_ok());
    return out;
  };
  // 100 000 items are served...
  auto ok = exchange(f, many(aster::rpc::kMaxClientStreamItems, false));
  ASSERT_EQ(ok.frames.size(), 2u);
  auto reply = wire::data_payload(ok.frames[0]).value();  // compressed (> 4096 bytes)
  EXPECT_EQ(aster::rpc::decode_payload<EchoReply>(reply, false).value().message.size(),
            aster::rpc::kMaxClientStreamItems - 1);  // the "|" separators
  // ...one more is RESOURCE_EXHAUSTED, in the stream's mode as 0.1.2 writes it.
  for (bool json : {false, true}) {
    auto over = exchange(f, many(aster::rpc::kMaxClientStreamItems + 1, json));
    ASSERT_EQ(over.frames.size(), 1u);
    auto st = trailer_of(over, json);
    EXPECT_EQ(st.code, 8);
    EXPECT_EQ(st.message, "client stream exceeded 100000 items");
  }
}

TEST(StreamPatternFrames, UnreadableRequestsAreUnknown) {
  Fixture f;
  for (const char* method : {"collect", "chat"}) {
    for (bool json : {false, true}) {
      // An undecodable payload: UNKNOWN, written in Fory even on a JSON stream (0.1.2).
      auto e = exchange(f, frames({{wire::flags::kHeader, header(method, json)},
                                   {0, {0x02, 0xff, 0x00}}}));
      EXPECT_EQ(trailer_of(e, false).code, 2) << method;
      // A corrupt compressed payload.
      e = exchange(f, frames({{wire::flags::kHeader, header(method, json)},
                              {wire::flags::kCompressed, {1, 2, 3}}}));
      EXPECT_EQ(trailer_of(e, false).code, 2) << method;
      // A truncated frame.
      auto cut = frames({{wire::flags::kHeader, header(method, json)}});
      cut.insert(cut.end(), {0x10, 0, 0, 0, 0, 1, 2});
      e = exchange(f, cut);
      EXPECT_EQ(trailer_of(e, false).code, 2) << method;
    }
  }
}

TEST(StreamPatternFrames, BidiEndsWhenTheHandlerReturns) {
  Fixture f;
  // chat_count reads one request and ends the call; the consumer has not sent FIN (the
  // exchange sends it only after reading the producer's FIN).
  CountRequest req{2, -1, 0};
  auto e = exchange(f,
                    frames({{wire::flags::kHeader, header("chat_count")},
                            {0, aster::rpc::encode_payload(req, false).value()}}),
                    /*fin=*/false);
  ASSERT_TRUE(e.clean_end);
  ASSERT_EQ(e.frames.size(), 3u);
  EXPECT_EQ(trailer_of(e, false).code, 0);
  EXPECT_EQ(e.served, 1);
  // Any trailer from the consumer ends bidi input (0.1.2 does not check its code).
  auto t = exchange(f,
                    frames({{wire::flags::kHeader, header("chat", true)},
                            {0, echo_item("a", true)},
                            {wire::flags::kTrailer, trailer(5, true)}}),
                    /*fin=*/false);
  ASSERT_EQ(t.frames.size(), 2u);
  EXPECT_EQ(trailer_of(t, true).code, 0);
}

TEST(StreamPatternFrames, ProducerDeadlineWhileWaitingForInput) {
  Fixture f;
  for (const char* method : {"collect", "chat"}) {
    auto soon = std::chrono::duration_cast<std::chrono::milliseconds>(
                    (std::chrono::system_clock::now() + std::chrono::milliseconds(150))
                        .time_since_epoch())
                    .count();
    auto e = exchange(f, frames({{wire::flags::kHeader, header(method, true, soon)},
                                 {0, echo_item("a", true)}}),
                      /*fin=*/false);
    auto st = trailer_of(e, false);  // 0.1.2 writes the deadline trailer in Fory
    EXPECT_EQ(st.code, 4) << method;
    EXPECT_EQ(st.message, "deadline exceeded");
  }
}

}  // namespace
