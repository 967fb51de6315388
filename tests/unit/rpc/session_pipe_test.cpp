// Session-scoped services over the in-memory pipe: our session client against our producer
// (state across calls, isolation, patterns, errors that keep or end the session, deadline,
// CANCEL, close), and the producer's exact frames for hand-written session streams (0.1.2
// session.py rules: unary success has no trailer, idle CANCEL is acknowledged, which errors
// end the session).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>

#include "aster/rpc/dispatcher.hpp"
#include "aster/rpc/session_client.hpp"
#include "aster/transport/memory_pipe.hpp"
#include "aster/wire/frame_io.hpp"
#include "aster/wire/messages.hpp"
#include "call_status.hpp"
#include "coroutine_test_support.hpp"
#include "rpc_pipe_channel.hpp"
#include "session_test_service.hpp"

namespace {

using namespace aster::testing;
using aster::RpcError;
using aster::Status;
using aster::StatusCode;
using aster::rpc::CallOptions;
using aster::rpc::Dispatcher;
namespace wire = aster::wire;
namespace flags = aster::wire::flags;

asio::awaitable<void> serve_pipe_end(const Dispatcher* d,
                                     std::unique_ptr<aster::transport::ByteStream> end,
                                     std::string peer) {
  co_await d->serve_stream(*end, std::move(peer));
}

struct Fixture {
  Dispatcher dispatcher;
  Fixture() {
    EXPECT_TRUE(dispatcher.add(make_session_test_impl()).is_ok());
    EXPECT_TRUE(dispatcher.add(make_rpc_test_impl()).is_ok());
  }
  asio::awaitable<SessionTest::Session> open(asio::io_context& io, bool json,
                                             std::string peer = "peer-under-test") {
    PipeChannel channel(io.get_executor(), dispatcher, std::move(peer));
    auto stream = co_await channel.open_stream();
    auto s = co_await aster::rpc::SessionStream::open(std::move(*stream), "SessionTest", 1, json);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    co_return SessionTest::Session(std::move(*s), SessionTest::descriptor());
  }
};

asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

class SessionPipe : public ::testing::TestWithParam<bool> {};  // param: JSON mode

TEST_P(SessionPipe, StateIsKeptAcrossCalls) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    AddRequest one{1};
    auto t1 = co_await s.add(std::move(one));
    AddRequest two{2};
    auto t2 = co_await s.add(std::move(two));
    EXPECT_EQ(t1.total, 1);
    EXPECT_EQ(t2.total, 3);
    EXPECT_EQ(t2.calls, 2);
    EXPECT_EQ(t2.peer, "peer-under-test");  // the instance was made for the session's peer
    EXPECT_EQ(s.session_id().size(), 36u);
    co_await s.close();
  });
}

TEST_P(SessionPipe, TwoSessionsAreIsolated) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto a = co_await f.open(io, GetParam(), "peer-a");
    auto b = co_await f.open(io, GetParam(), "peer-b");
    AddRequest ten{10};
    (void)co_await a.add(std::move(ten));
    AddRequest one{1};
    auto tb = co_await b.add(std::move(one));
    AddRequest five{5};
    auto ta = co_await a.add(std::move(five));
    EXPECT_EQ(tb.total, 1);
    EXPECT_EQ(tb.peer, "peer-b");
    EXPECT_EQ(ta.total, 15);
    EXPECT_EQ(ta.peer, "peer-a");
    EXPECT_NE(a.session_id(), b.session_id());
    co_await a.close();
    co_await b.close();
  });
}

TEST_P(SessionPipe, ServerStreamThenUnaryOnTheSameSession) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    CountRequest five{5, -1, 0};
    auto items = co_await s.count(std::move(five));
    std::vector<int64_t> got;
    while (auto item = co_await items.next()) got.push_back(item->i);
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 3, 4}));
    CountRequest none{0, -1, 0};
    auto empty = co_await s.count(std::move(none));
    EXPECT_FALSE((co_await empty.next()).has_value());
    AddRequest one{1};
    auto t = co_await s.add(std::move(one));
    EXPECT_EQ(t.calls, 3);  // count, count, add on one instance
  });
}

TEST_P(SessionPipe, PayloadsMetadataAndCompression) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    EchoRequest empty{};
    auto e = co_await s.echo(std::move(empty));
    EXPECT_TRUE(e.message.empty() && e.data.empty());
    std::string big(4u << 20, 'x');
    for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
    EchoRequest large{"big", big};
    EXPECT_EQ((co_await s.echo(std::move(large))).data, big);
    EchoRequest compressible{"c", std::string(10000, 'z')};
    EXPECT_EQ((co_await s.echo(std::move(compressible))).data, std::string(10000, 'z'));
    CallOptions o;
    o.metadata.emplace_back("x-echo", "first");
    o.metadata.emplace_back("x-echo", "last wins");
    EchoRequest m{"m", ""};
    EXPECT_EQ((co_await s.echo(std::move(m), o)).metadata, "last wins");
  });
}

TEST_P(SessionPipe, HandlerErrorsKeepTheSession) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    for (StatusCode code : {StatusCode::kNotFound, StatusCode::kPermissionDenied,
                            StatusCode::kFailedPrecondition, StatusCode::kContractViolation}) {
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        FailRequest req{static_cast<int64_t>(code), "boom"};
        co_await s.fail(std::move(req));
      });
      EXPECT_EQ(st.code(), code);
      EXPECT_EQ(st.message(), "boom");
    }
    // Any other exception is INTERNAL with its message inside a session (UNKNOWN stateless).
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      EchoRequest req{"x", ""};
      co_await s.crash(std::move(req));
    });
    EXPECT_EQ(st.code(), StatusCode::kInternal);
    EXPECT_EQ(st.message(), "crashed: x");
    // A server stream failing after two items keeps it too.
    CountRequest failing{10, 2, 0};
    auto items = co_await s.count(std::move(failing));
    std::vector<int64_t> got;
    st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (auto item = co_await items.next()) got.push_back(item->i);
    });
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1}));
    AddRequest one{1};
    EXPECT_EQ((co_await s.add(std::move(one))).calls, 6);
  });
}

TEST_P(SessionPipe, DeadlineEndsTheCallNotTheSession) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    CallOptions o;
    o.timeout = std::chrono::milliseconds(50);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      SlowRequest slow{5000};
      co_await s.slow(std::move(slow), o);
    });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    CountRequest endless{1000000, -1, 5};
    auto items = co_await s.count(std::move(endless), o);
    st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (true) {
        std::optional<CountItem> item = co_await items.next();  // named: GCC 12, docs/rpc.md
        if (!item) break;
      }
    });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    o.timeout = std::chrono::seconds(30);
    SlowRequest quick{1};
    EXPECT_EQ((co_await s.slow(std::move(quick), o)).message, "slept");
  });
}

TEST_P(SessionPipe, CancelMidCall) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    // A unary call cancelled from another coroutine.
    Status slow_status;
    bool slow_done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          slow_status = co_await status_of_call([&]() -> asio::awaitable<void> {
            SlowRequest slow{60000};
            co_await s.slow(std::move(slow));
          });
          slow_done = true;
        },
        asio::detached);
    co_await sleep_ms(20);
    co_await s.cancel();
    while (!slow_done) co_await sleep_ms(1);
    EXPECT_EQ(slow_status.code(), StatusCode::kCancelled);
    // A server stream cancelled after its first item.
    CountRequest endless{1000000, -1, 1};
    auto items = co_await s.count(std::move(endless));
    EXPECT_EQ((co_await items.next())->i, 0);
    co_await items.cancel();
    EXPECT_FALSE((co_await items.next()).has_value());
    // An abandoned stream (dropped unfinished) is cancelled in the background.
    {
      CountRequest again{1000000, -1, 1};
      auto dropped = co_await s.count(std::move(again));
      EXPECT_EQ((co_await dropped.next())->i, 0);
    }
    AddRequest one{1};
    auto t = co_await s.add(std::move(one));
    EXPECT_EQ(t.total, 1);
    EXPECT_EQ(t.calls, 4);
    co_await s.cancel();  // idle: nothing to cancel
    AddRequest two{2};
    EXPECT_EQ((co_await s.add(std::move(two))).total, 3);
  });
}

TEST_P(SessionPipe, ClientStreamAndBidiInASession) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    auto up = co_await s.sum();
    for (int64_t n : {1, 2, 3}) {
      AddRequest item{n};
      co_await up.write(item);
    }
    auto total = co_await up.finish();
    EXPECT_EQ(total.total, 6);
    // An empty client stream is fine too.
    auto none = co_await s.sum();
    EXPECT_EQ((co_await none.finish()).total, 6);
    // Bidi: responses as requests arrive, then the producer's OK trailer after our end of input.
    CallOptions o;
    o.metadata.emplace_back("x-echo", "md");
    auto chat = co_await s.chat(o);
    std::vector<std::string> got;
    for (const char* m : {"a", "b", "c"}) {
      EchoRequest req{m, ""};
      co_await chat.write(req);
      auto reply = co_await chat.next();
      EXPECT_TRUE(reply.has_value());
      if (reply) got.push_back(reply->message + reply->metadata);
    }
    co_await chat.done_writing();
    EXPECT_FALSE((co_await chat.next()).has_value());
    EXPECT_EQ(got, (std::vector<std::string>{"amd", "bmd", "cmd"}));
    // State is shared with the other patterns of the session.
    AddRequest four{4};
    auto after = co_await s.add(std::move(four));
    EXPECT_EQ(after.total, 10);
    EXPECT_EQ(after.calls, 4);
  });
}

TEST_P(SessionPipe, ClientStreamAndBidiErrorsKeepTheSession) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto s = co_await f.open(io, GetParam());
    // The handler fails after two items; the producer ends the call while we still write.
    auto chat = co_await s.chat();
    EchoRequest first{"a", ""};
    co_await chat.write(first);
    EchoRequest bad{"fail:7", ""};
    co_await chat.write(bad);
    EchoRequest ignored{"b", ""};
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      co_await chat.write(ignored);
      while (true) {
        std::optional<EchoReply> r = co_await chat.next();
        if (!r) break;
      }
    });
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(st.message(), "fail:7");
    // Cancel a client stream in the middle of its input.
    auto up = co_await s.sum();
    AddRequest one{1};
    co_await up.write(one);
    co_await up.cancel();
    // Cancel a bidi call waiting for input.
    auto idle_chat = co_await s.chat();
    co_await idle_chat.cancel();
    // Deadline on a client stream that never ends its input.
    CallOptions o;
    o.timeout = std::chrono::milliseconds(50);
    auto slow_up = co_await s.sum(o);
    co_await slow_up.write(one);
    co_await sleep_ms(100);
    st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await slow_up.finish(); });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    // The session still serves: (items a cancelled sum read before its cancel did count).
    AddRequest zero{0};
    auto t = co_await s.add(std::move(zero));
    AddRequest five{5};
    EXPECT_EQ((co_await s.add(std::move(five))).total, t.total + 5);
  });
}

TEST_P(SessionPipe, CloseEndsTheInstance) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    const int before = session_test_closed();
    auto s = co_await f.open(io, GetParam());
    AddRequest one{1};
    (void)co_await s.add(std::move(one));
    co_await s.close();
    while (session_test_closed() == before) co_await sleep_ms(1);
    EXPECT_EQ(session_test_closed(), before + 1);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      AddRequest again{1};
      co_await s.add(std::move(again));
    });
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  });
}

TEST_P(SessionPipe, RawSessionByMethodName) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    PipeChannel channel(io.get_executor(), f.dispatcher);
    auto raw = co_await aster::rpc::RawSession::open(channel, SessionTest::descriptor(), 1,
                                                     GetParam());
    EXPECT_TRUE(raw.is_ok()) << raw.status().to_string();
    if (!raw.is_ok()) co_return;
    auto add = aster::Value::make_struct("test.session/AddRequest", {{"n", int64_t{4}}});
    auto r1 = co_await raw->unary("add", add);
    auto r2 = co_await raw->unary("add", add);
    EXPECT_TRUE(r2.is_ok()) << r2.status().to_string();
    if (r2.is_ok()) {
      EXPECT_EQ(r2->as_struct().find("total")->as_int(), 8);
    }
    auto fail = aster::Value::make_struct("test.rpc/FailRequest",
                                          {{"code", int64_t{7}}, {"message", "denied"}});
    EXPECT_EQ((co_await raw->unary("fail", fail)).status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ((co_await raw->unary("nope", add)).status().code(), StatusCode::kUnimplemented);
    auto count = aster::Value::make_struct(
        "test.rpc/CountRequest", {{"n", int64_t{3}}, {"fail_at", int64_t{-1}}, {"delay_ms", int64_t{0}}});
    auto stream = co_await raw->server_stream("count", count);
    EXPECT_TRUE(stream.is_ok());
    size_t n = 0;
    while (stream.is_ok()) {
      auto item = co_await stream->next();
      if (!item.is_ok() || !item->has_value()) break;
      ++n;
    }
    EXPECT_EQ(n, 3u);
    auto up = co_await raw->client_stream("sum");
    EXPECT_TRUE(up.is_ok()) << up.status().to_string();
    if (up.is_ok()) {
      EXPECT_TRUE((co_await up->write(add)).is_ok());
      auto summed = co_await up->finish();
      EXPECT_TRUE(summed.is_ok()) << summed.status().to_string();
      if (summed.is_ok()) {
        EXPECT_EQ(summed->as_struct().find("total")->as_int(), 12);
      }
    }
    auto chat = co_await raw->bidi("chat");
    EXPECT_TRUE(chat.is_ok()) << chat.status().to_string();
    if (chat.is_ok()) {
      auto hello = aster::Value::make_struct("test.rpc/EchoRequest", {{"message", "r"}, {"data", ""}});
      EXPECT_TRUE((co_await chat->write(hello)).is_ok());
      EXPECT_TRUE((co_await chat->done_writing()).is_ok());
      auto reply = co_await chat->next();
      EXPECT_TRUE(reply.is_ok() && reply->has_value());
      if (reply.is_ok() && reply->has_value()) {
        EXPECT_EQ((*reply)->as_struct().find("message")->as_string(), "r");
      }
      auto end = co_await chat->next();
      EXPECT_TRUE(end.is_ok() && !end->has_value());
    }
    EXPECT_TRUE((co_await raw->close()).is_ok());
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, SessionPipe, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Json" : "Fory"; });

// ---- the producer's frames, byte level --------------------------------------------------------

// One hand-driven session stream: write frames, read what the producer answers.
class RawPeer {
 public:
  RawPeer(asio::io_context& io, Fixture& f) {
    auto [client, server] = aster::transport::make_memory_pipe(io.get_executor(), 1 << 20);
    client_ = std::move(client);
    reader_ = std::make_unique<wire::FrameReader>(*client_);
    asio::co_spawn(io, serve_pipe_end(&f.dispatcher, std::move(server), "raw-peer"),
                   asio::detached);
  }
  asio::awaitable<void> send(uint8_t fl, std::vector<uint8_t> payload) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(wire::append_frame(out, fl, payload).is_ok());
    EXPECT_TRUE((co_await client_->write(out)).is_ok());
  }
  asio::awaitable<void> send_cancel() {
    std::vector<uint8_t> none;
    co_await send(flags::kCancel, std::move(none));
  }
  asio::awaitable<void> send_raw(std::vector<uint8_t> bytes) {
    EXPECT_TRUE((co_await client_->write(bytes)).is_ok());
  }
  asio::awaitable<void> finish() { EXPECT_TRUE((co_await client_->finish()).is_ok()); }
  // The next frame; nullopt at the producer's FIN.
  asio::awaitable<std::optional<wire::Frame>> next() {
    auto f = co_await reader_->next();
    EXPECT_TRUE(f.is_ok()) << f.status().to_string();
    if (!f.is_ok()) co_return std::nullopt;
    co_return std::move(*f);
  }
  asio::awaitable<wire::RpcStatus> trailer(bool json = false) {
    auto f = co_await next();
    EXPECT_TRUE(f.has_value());
    if (!f) co_return wire::RpcStatus{-1, "no frame", {}, {}};
    EXPECT_EQ(f->flags, flags::kTrailer);
    EXPECT_EQ(!f->payload.empty() && f->payload[0] == '{', json);
    co_return wire::decode_rpc_status(f->payload).value_or(wire::RpcStatus{-1, "undecodable", {}, {}});
  }

 private:
  std::unique_ptr<aster::transport::ByteStream> client_;
  std::unique_ptr<wire::FrameReader> reader_;
};

std::vector<uint8_t> open_header(std::string service, bool json = false, std::string method = "") {
  wire::StreamHeader h;
  h.service = std::move(service);
  h.method = std::move(method);
  h.version = 1;
  h.call_id = "5e55e55e-0000-4000-8000-000000000001";
  h.serialization_mode = json ? 3 : 0;
  return wire::encode_message(h, json).value();
}

std::vector<uint8_t> call(std::string method, bool json = false, int64_t deadline = 0,
                          aster::rpc::Metadata md = {}) {
  wire::CallHeader h;
  h.method = std::move(method);
  h.call_id = "ca11ca11-0000-4000-8000-000000000002";
  h.deadline_epoch_ms = deadline;
  for (auto& [k, v] : md) {
    h.metadata_keys.push_back(k);
    h.metadata_values.push_back(v);
  }
  return wire::encode_message(h, json).value();
}

template <typename T>
std::vector<uint8_t> payload(const T& v, bool json = false) {
  return aster::rpc::encode_payload(v, json).value();
}

TEST(SessionFrames, UnarySuccessIsTheResponseFrameAloneAndIdleCancelIsAcknowledged) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    RawPeer p(io, f);
    co_await p.send(flags::kHeader, open_header("SessionTest"));
    co_await p.send_cancel();
    auto st = co_await p.trailer();
    EXPECT_EQ(st.code, 1);
    EXPECT_EQ(st.message, "cancelled");
    co_await p.send(flags::kCall, call("add"));
    {
      auto bytes = payload(AddRequest{2});
      co_await p.send(0, std::move(bytes));
    }
    auto reply = co_await p.next();
    EXPECT_TRUE(reply.has_value());
    if (!reply) co_return;
    EXPECT_EQ(reply->flags, 0);
    EXPECT_EQ(aster::rpc::decode_payload<Total>(reply->payload, false).value().total, 2);
    // A server stream ends with an OK trailer.
    co_await p.send(flags::kCall, call("count"));
    {
      auto bytes = payload(CountRequest{2, -1, 0});
      co_await p.send(0, std::move(bytes));
    }
    EXPECT_EQ((co_await p.next())->flags, 0);
    EXPECT_EQ((co_await p.next())->flags, 0);
    st = co_await p.trailer();
    EXPECT_EQ(st.code, 0);
    // FIN at a call boundary closes the session: the producer finishes its side.
    co_await p.finish();
    EXPECT_FALSE((co_await p.next()).has_value());
  });
}

TEST(SessionFrames, ClientStreamInputEndsWithAnOkTrailer) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    RawPeer p(io, f);
    co_await p.send(flags::kHeader, open_header("SessionTest"));
    auto ok = wire::encode_message(wire::RpcStatus{}, false).value();
    co_await p.send(flags::kCall, call("sum"));
    {
      auto bytes = payload(AddRequest{2});
      co_await p.send(0, std::move(bytes));
    }
    {
      auto bytes = payload(AddRequest{3});
      co_await p.send(0, std::move(bytes));
    }
    co_await p.send(flags::kTrailer, ok);
    auto reply = co_await p.next();  // the response frame alone, no trailer
    EXPECT_TRUE(reply.has_value());
    if (!reply) co_return;
    EXPECT_EQ(reply->flags, 0);
    EXPECT_EQ(aster::rpc::decode_payload<Total>(reply->payload, false).value().total, 5);
    // A non-OK end of input fails the call with INTERNAL; the session stays.
    co_await p.send(flags::kCall, call("sum"));
    auto cancelled = wire::encode_message(wire::RpcStatus{1, "", {}, {}}, false).value();
    co_await p.send(flags::kTrailer, cancelled);
    auto st = co_await p.trailer();
    EXPECT_EQ(st.code, 13);
    EXPECT_EQ(st.message, "client sent non-OK EoI trailer (code=1)");
    // Bidi: items, then our end of input, then the producer's OK trailer.
    co_await p.send(flags::kCall, call("chat"));
    {
      auto bytes = payload(EchoRequest{"x", ""});
      co_await p.send(0, std::move(bytes));
    }
    EXPECT_EQ((co_await p.next())->flags, 0);
    co_await p.send(flags::kTrailer, ok);
    EXPECT_EQ((co_await p.trailer()).code, 0);
    // A bidi handler that ends early: its trailer comes at once, and the rest of that call's
    // input up to its end is dropped before the next CALL.
    co_await p.send(flags::kCall, call("chat"));
    {
      auto bytes = payload(EchoRequest{"fail:9", ""});
      co_await p.send(0, std::move(bytes));
    }
    EXPECT_EQ((co_await p.trailer()).code, 9);
    {
      auto bytes = payload(EchoRequest{"late", ""});
      co_await p.send(0, std::move(bytes));
    }
    co_await p.send(flags::kTrailer, ok);
    co_await p.send(flags::kCall, call("add"));
    {
      auto bytes = payload(AddRequest{1});
      co_await p.send(0, std::move(bytes));
    }
    auto added = co_await p.next();
    EXPECT_TRUE(added.has_value());
    if (added) {
      EXPECT_EQ(aster::rpc::decode_payload<Total>(added->payload, false).value().total, 6);
    }
  });
}

TEST(SessionFrames, JsonSessionsAnswerInJsonErrorsIncluded) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    RawPeer p(io, f);
    co_await p.send(flags::kHeader, open_header("SessionTest", true));
    co_await p.send(flags::kCall, call("fail", true));
    {
      auto bytes = payload(FailRequest{7, "no"}, true);
      co_await p.send(0, std::move(bytes));
    }
    auto st = co_await p.trailer(/*json=*/true);
    EXPECT_EQ(st.code, 7);
    co_await p.send(flags::kCall, call("add", true));
    {
      auto bytes = payload(AddRequest{1}, true);
      co_await p.send(0, std::move(bytes));
    }
    auto reply = co_await p.next();
    EXPECT_TRUE(reply.has_value());
    if (!reply) co_return;
    EXPECT_EQ(std::string(reply->payload.begin(), reply->payload.end()),
              R"({"total":1,"calls":2,"peer":"raw-peer"})");
  });
}

// A session-ending error: one trailer, then the producer's FIN.
asio::awaitable<wire::RpcStatus> ending(RawPeer& p) {
  auto st = co_await p.trailer();
  EXPECT_FALSE((co_await p.next()).has_value()) << "the session should have ended";
  co_return st;
}

TEST(SessionFrames, SessionEndingErrors) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    {
      RawPeer p(io, f);  // unknown method
      co_await p.send(flags::kHeader, open_header("SessionTest"));
      co_await p.send(flags::kCall, call("nope"));
      auto st = co_await ending(p);
      EXPECT_EQ(st.code, 12);
      EXPECT_EQ(st.message, "Method not found: nope");
    }
    {
      RawPeer p(io, f);  // a data frame where a CALL belongs
      co_await p.send(flags::kHeader, open_header("SessionTest"));
      {
        auto bytes = payload(AddRequest{1});
        co_await p.send(0, std::move(bytes));
      }
      auto st = co_await ending(p);
      EXPECT_EQ(st.code, 9);
      EXPECT_EQ(st.message, "Expected CALL frame");
    }
    {
      RawPeer p(io, f);  // an undecodable CallHeader
      co_await p.send(flags::kHeader, open_header("SessionTest"));
      std::vector<uint8_t> garbage{0xde, 0xad};
      co_await p.send(flags::kCall, std::move(garbage));
      auto st = co_await ending(p);
      EXPECT_EQ(st.code, 13);
      EXPECT_EQ(st.message.rfind("Invalid CallHeader: ", 0), 0u) << st.message;
    }
    {
      RawPeer p(io, f);  // metadata over 0.1.2's limits
      co_await p.send(flags::kHeader, open_header("SessionTest"));
      aster::rpc::Metadata md;
      md.emplace_back("k", std::string(5000, 'v'));
      co_await p.send(flags::kCall, call("add", false, 0, md));
      auto st = co_await ending(p);
      EXPECT_EQ(st.code, 8);
      EXPECT_EQ(st.message, "metadata value length exceeds limit of 4096 (got 5000)");
    }
    {
      RawPeer p(io, f);  // a truncated frame body ends the session without a trailer
      co_await p.send(flags::kHeader, open_header("SessionTest"));
      std::vector<uint8_t> truncated{0x10, 0, 0, 0, flags::kCall, 1, 2};
      co_await p.send_raw(std::move(truncated));
      co_await p.finish();
      EXPECT_FALSE((co_await p.next()).has_value());
    }
  });
}

TEST(SessionFrames, ScopeMismatchesAreRejected) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    {
      RawPeer p(io, f);
      co_await p.send(flags::kHeader, open_header("SessionTest", false, "add"));
      auto st = co_await p.trailer();
      EXPECT_EQ(st.code, 9);
      EXPECT_EQ(st.message,
                "'SessionTest' is session-scoped: open a session stream (method='') instead of "
                "calling method 'add' directly");
    }
    {
      RawPeer p(io, f);
      co_await p.send(flags::kHeader, open_header("RpcTest"));
      EXPECT_EQ((co_await p.trailer()).code, 9);
    }
  });
}

TEST(SessionFrames, RequestProblemsKeepTheSession) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    RawPeer p(io, f);
    co_await p.send(flags::kHeader, open_header("SessionTest"));
    // An undecodable request: INTERNAL "Decode error: …".
    co_await p.send(flags::kCall, call("add"));
    std::vector<uint8_t> bad_request{0x02, 0xff, 0x00};
    co_await p.send(0, std::move(bad_request));
    auto st = co_await p.trailer();
    EXPECT_EQ(st.code, 13);
    EXPECT_EQ(st.message.rfind("Decode error: ", 0), 0u) << st.message;
    // CANCEL instead of the request.
    co_await p.send(flags::kCall, call("add"));
    co_await p.send_cancel();
    EXPECT_EQ((co_await p.trailer()).code, 1);
    // An expired deadline: DEADLINE_EXCEEDED before the handler, its request skipped.
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    co_await p.send(flags::kCall, call("add", false, now - 1000));
    {
      auto bytes = payload(AddRequest{100});
      co_await p.send(0, std::move(bytes));
    }
    st = co_await p.trailer();
    EXPECT_EQ(st.code, 4);
    EXPECT_EQ(st.message, "deadline exceeded");
    // A CALL while a unary handler runs: FAILED_PRECONDITION for it, the CALL runs next.
    co_await p.send(flags::kCall, call("slow"));
    {
      auto bytes = payload(SlowRequest{60000});
      co_await p.send(0, std::move(bytes));
    }
    co_await p.send(flags::kCall, call("add"));
    st = co_await p.trailer();
    EXPECT_EQ(st.code, 9);
    EXPECT_EQ(st.message, "CALL received during active call");
    {
      auto bytes = payload(AddRequest{1});
      co_await p.send(0, std::move(bytes));
    }
    auto reply = co_await p.next();
    EXPECT_TRUE(reply.has_value());
    if (!reply) co_return;
    auto total = aster::rpc::decode_payload<Total>(reply->payload, false).value();
    EXPECT_EQ(total.total, 1);  // the expired call never ran
    // CANCEL during a unary handler: CANCELLED, session alive.
    co_await p.send(flags::kCall, call("slow"));
    {
      auto bytes = payload(SlowRequest{60000});
      co_await p.send(0, std::move(bytes));
    }
    co_await sleep_ms(10);
    co_await p.send_cancel();
    EXPECT_EQ((co_await p.trailer()).code, 1);
    // CANCEL during a server stream: CANCELLED after the items so far.
    co_await p.send(flags::kCall, call("count"));
    {
      auto bytes = payload(CountRequest{1000000, -1, 1});
      co_await p.send(0, std::move(bytes));
    }
    EXPECT_EQ((co_await p.next())->flags, 0);
    co_await p.send_cancel();
    while (true) {
      auto fr = co_await p.next();
      EXPECT_TRUE(fr.has_value());
      if (!fr) co_return;
      if (fr->has(flags::kTrailer)) {
        EXPECT_EQ(wire::decode_rpc_status(fr->payload).value().code, 1);
        break;
      }
    }
    // EOF during a unary handler: FAILED_PRECONDITION, then the session ends.
    co_await p.send(flags::kCall, call("slow"));
    {
      auto bytes = payload(SlowRequest{60000});
      co_await p.send(0, std::move(bytes));
    }
    co_await p.finish();
    EXPECT_EQ((co_await ending(p)).code, 9);
  });
}

TEST(SessionFrames, AStuckSessionDoesNotHoldUpOthers) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    // A consumer that starts a client stream and floods it without ever ending its input…
    RawPeer stuck(io, f);
    co_await stuck.send(flags::kHeader, open_header("SessionTest"));
    co_await stuck.send(flags::kCall, call("sum"));
    auto item = payload(AddRequest{1});
    for (int i = 0; i < 200; ++i) co_await stuck.send(0, item);
    // …and one that sends a header, then nothing.
    RawPeer silent(io, f);
    co_await silent.send(flags::kHeader, open_header("SessionTest"));
    // Another session is served meanwhile.
    auto s = co_await f.open(io, false);
    AddRequest two{2};
    EXPECT_EQ((co_await s.add(std::move(two))).total, 2);
    co_await s.close();
    // The stuck one is still alive: ending its input gets its answer.
    auto ok = wire::encode_message(wire::RpcStatus{}, false).value();
    co_await stuck.send(flags::kTrailer, ok);
    auto reply = co_await stuck.next();
    EXPECT_TRUE(reply.has_value());
    if (reply) {
      EXPECT_EQ(aster::rpc::decode_payload<Total>(reply->payload, false).value().total, 200);
    }
  });
}

TEST(SessionFrames, FactoryFailureIsInternal) {
  static const aster::contract::ServiceDesc tiny =
      aster::contract::ServiceDesc("Tiny")
          .scope(aster::contract::ScopeKind::kSession)
          .method(aster::contract::unary<AddRequest, Total>("add"));
  Fixture f;
  aster::rpc::SessionImpl<SessionTestState> impl(
      tiny, [](const std::string&) -> SessionTestState { throw std::runtime_error("no capacity"); });
  impl.unary<AddRequest, Total>("add", [](SessionTestState&, AddRequest, aster::rpc::CallContext&)
                                           -> asio::awaitable<Total> { co_return Total{}; });
  ASSERT_TRUE(f.dispatcher.add(std::move(impl)).is_ok());
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    RawPeer p(io, f);
    co_await p.send(flags::kHeader, open_header("Tiny"));
    auto st = co_await ending(p);
    EXPECT_EQ(st.code, 13);
    EXPECT_EQ(st.message, "no capacity");
  });
}

TEST(SessionBinding, IncompleteOrMisscopedImplementationsAreRefused) {
  Dispatcher d;
  aster::rpc::SessionImpl<SessionTestState> partial(SessionTest::descriptor());
  partial.unary<AddRequest, Total>("add", [](SessionTestState&, AddRequest, aster::rpc::CallContext&)
                                              -> asio::awaitable<Total> { co_return Total{}; });
  EXPECT_NE(d.add(std::move(partial)).message().find("has no handler"), std::string::npos);
  aster::rpc::SessionImpl<SessionTestState> shared(RpcTest::descriptor());
  EXPECT_NE(shared.check().message().find("not session-scoped"), std::string::npos);
  aster::rpc::ServiceImpl stateless(SessionTest::descriptor());
  EXPECT_NE(d.add(std::move(stateless)).message().find("bind it with SessionImpl"),
            std::string::npos);
  EXPECT_TRUE(d.add(make_session_test_impl()).is_ok());
  EXPECT_EQ(d.add(make_session_test_impl()).code(), StatusCode::kAlreadyExists);
}

}  // namespace
