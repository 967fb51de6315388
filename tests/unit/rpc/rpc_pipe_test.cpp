// The RPC runtime over the in-memory pipe: the typed client against the Dispatcher (unary and
// server stream, Fory and JSON modes, errors, deadlines, metadata, payload sizes, cancel) and
// the producer's exact frames for malformed or rejected calls (0.1.2 server.py rules).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include "aster/contract/contract.hpp"
#include "aster/rpc/client.hpp"
#include "aster/rpc/dispatcher.hpp"
#include "aster/rpc/raw_transport.hpp"
#include "aster/transport/memory_pipe.hpp"
#include "aster/rpc/payload.hpp"
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
using aster::StatusCode;
using aster::rpc::CallOptions;
using aster::rpc::Dispatcher;
namespace wire = aster::wire;

asio::awaitable<void> serve_one(const Dispatcher* d,
                                std::unique_ptr<aster::transport::ByteStream> end) {
  co_await d->serve_stream(*end, "peer-under-test");
}

struct Fixture {
  Dispatcher dispatcher;
  Fixture() { EXPECT_TRUE(dispatcher.add(make_rpc_test_impl()).is_ok()); }
  RpcTest::Client client(asio::io_context& io, bool json = false) {
    return RpcTest::Client(std::make_shared<PipeChannel>(io.get_executor(), dispatcher),
                           RpcTest::descriptor(), 1, json);
  }
};

class RpcPipe : public ::testing::TestWithParam<bool> {};  // param: JSON mode

constexpr StatusCode kHandlerCodes[] = {StatusCode::kNotFound, StatusCode::kPermissionDenied,
                                        StatusCode::kFailedPrecondition,
                                        StatusCode::kContractViolation};

TEST_P(RpcPipe, UnaryEcho) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    EchoRequest req1{"hi", "data"};  // named: GCC 12 mishandles braced temporaries in co_await
    auto r = co_await c.echo(std::move(req1));
    EXPECT_EQ(r.message, "hi");
    EXPECT_EQ(r.data, "data");
    EXPECT_EQ(r.peer, "peer-under-test");
  });
}

TEST_P(RpcPipe, ZeroLengthAndFourMiBPayloads) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    EchoRequest req2{};  // named: GCC 12 mishandles braced temporaries in co_await
    auto empty = co_await c.echo(std::move(req2));
    EXPECT_TRUE(empty.message.empty() && empty.data.empty() && empty.metadata.empty());
    std::string big(4u << 20, 'x');
    for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
    EchoRequest req3{"big", big};  // named: GCC 12 mishandles braced temporaries in co_await
    auto r = co_await c.echo(std::move(req3));
    EXPECT_EQ(r.data, big);
  });
}

TEST_P(RpcPipe, MetadataRoundTrip) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.metadata.emplace_back("x-echo", "first");
    o.metadata.emplace_back("other", "x");
    o.metadata.emplace_back("x-echo", "last wins");
    EchoRequest req4{"m", ""};  // named: GCC 12 mishandles braced temporaries in co_await
    auto r = co_await c.echo(std::move(req4), o);
    EXPECT_EQ(r.metadata, "last wins");
  });
}

TEST_P(RpcPipe, HandlerErrorsCarryTheirCode) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    for (StatusCode code : kHandlerCodes) {
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        FailRequest req5{static_cast<int64_t>(code), "boom"};  // named: GCC 12 mishandles braced temporaries in co_await
        co_await c.fail(std::move(req5));
      });
      EXPECT_EQ(st.code(), code);
      EXPECT_EQ(st.message(), "boom");
    }
  });
}

TEST_P(RpcPipe, DeadlineExceeded) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.timeout = std::chrono::milliseconds(50);
    auto st = co_await status_of_call(
        [&]() -> asio::awaitable<void> {
          SlowRequest slow{5000};
          co_await c.slow(std::move(slow), o);
        });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
    // Within the deadline the call succeeds.
    o.timeout = std::chrono::seconds(30);
    SlowRequest req6{1};  // named: GCC 12 mishandles braced temporaries in co_await
    EXPECT_EQ((co_await c.slow(std::move(req6), o)).message, "slept");
  });
}

TEST_P(RpcPipe, ServerStreamYieldsItemsThenEnds) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CountRequest req7{5, -1, 0};  // named: GCC 12 mishandles braced temporaries in co_await
    auto s = co_await c.count(std::move(req7));
    std::vector<int64_t> got;
    while (auto item = co_await s.next()) got.push_back(item->i);
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 3, 4}));
    EXPECT_FALSE((co_await s.next()).has_value());
    CountRequest req8{0, -1, 0};  // named: GCC 12 mishandles braced temporaries in co_await
    auto none = co_await c.count(std::move(req8));
    EXPECT_FALSE((co_await none.next()).has_value());
  });
}

TEST_P(RpcPipe, ServerStreamErrorAfterSomeItems) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CountRequest req9{10, 2, 0};  // named: GCC 12 mishandles braced temporaries in co_await
    auto s = co_await c.count(std::move(req9));
    EXPECT_EQ((co_await s.next())->i, 0);
    EXPECT_EQ((co_await s.next())->i, 1);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await s.next(); });
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(st.message(), "failed at 2");
  });
}

TEST_P(RpcPipe, ServerStreamDeadline) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto c = f.client(io, GetParam());
    CallOptions o;
    o.timeout = std::chrono::milliseconds(100);
    CountRequest req10{1000, -1, 20};  // named: GCC 12 mishandles braced temporaries in co_await
    auto s = co_await c.count(std::move(req10), o);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (co_await s.next()) {
      }
    });
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  });
}

TEST_P(RpcPipe, CancelMidStreamStopsTheHandler) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    const int before = rpc_test_abandoned_streams();
    auto c = f.client(io, GetParam());
    CountRequest req11{1000000, -1, 1};  // named: GCC 12 mishandles braced temporaries in co_await
    auto s = co_await c.count(std::move(req11));
    EXPECT_EQ((co_await s.next())->i, 0);
    s.cancel();
    // The handler notices at its next write and returns; the test ends only when it did.
    asio::steady_timer t(io, std::chrono::milliseconds(1));
    while (rpc_test_abandoned_streams() == before) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(rpc_test_abandoned_streams(), before + 1);
  });
}

TEST_P(RpcPipe, UnknownMethodAndService) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    // A consumer whose declaration has a method the producer does not.
    static const aster::contract::ServiceDesc wider =
        aster::contract::ServiceDesc("RpcTest")
            .version(1)
            .method(aster::contract::unary<EchoRequest, EchoReply>("nope"));
    static const aster::contract::ServiceDesc missing =
        aster::contract::ServiceDesc("Missing")
            .version(1)
            .method(aster::contract::unary<EchoRequest, EchoReply>("echo"));
    struct Probe : aster::rpc::ServiceClient {
      using ServiceClient::ServiceClient;
      asio::awaitable<EchoReply> call(std::string m) {
        return unary<EchoReply>(std::move(m), EchoRequest{});
      }
    };
    auto channel = std::make_shared<PipeChannel>(io.get_executor(), f.dispatcher);
    Probe nope(channel, wider, 1, GetParam());
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await nope.call("nope"); });
    EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
    EXPECT_EQ(st.message(), "Method 'RpcTest.nope' not implemented");
    Probe gone(channel, missing, 1, GetParam());
    st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await gone.call("echo"); });
    EXPECT_EQ(st.code(), StatusCode::kNotFound);
    EXPECT_EQ(st.message(), "Service 'Missing' v1 not found");
    Probe v2(channel, RpcTest::descriptor(), 2, GetParam());
    st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await v2.call("echo"); });
    EXPECT_EQ(st.code(), StatusCode::kNotFound);
  });
}

// The typed client checks a method's declaration and C++ types once and remembers the last
// method that passed (ServiceClient::checked): a call with other types or to an undeclared
// method after it is still refused, and the remembered method still works.
TEST_P(RpcPipe, DeclarationChecksStayAfterAMethodPassed) {
  Fixture f;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    struct Probe : aster::rpc::ServiceClient {
      using ServiceClient::ServiceClient;
      asio::awaitable<EchoReply> good(std::string m) {
        EchoRequest req{"again", ""};
        return unary<EchoReply>(std::move(m), std::move(req));
      }
      asio::awaitable<EchoRequest> swapped(std::string m) {
        return unary<EchoRequest>(std::move(m), EchoReply{});
      }
    };
    Probe p(std::make_shared<PipeChannel>(io.get_executor(), f.dispatcher), RpcTest::descriptor(),
            1, GetParam());
    auto first = co_await p.good("echo");
    EXPECT_EQ(first.message, "again");
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      (void)co_await p.swapped("echo");
    });
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("types differ"), std::string::npos) << st.message();
    // The same C++ types, another method: declared with another request type.
    st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await p.good("fail"); });
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    st = co_await status_of_call([&]() -> asio::awaitable<void> { (void)co_await p.good("nope"); });
    EXPECT_FALSE(st.is_ok());
    auto second = co_await p.good("echo");
    EXPECT_EQ(second.message, "again");
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, RpcPipe, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Json" : "Fory"; });

// ---- the producer's frames, byte level --------------------------------------------------------

struct Exchange {
  std::vector<wire::Frame> frames;  // what the producer sent before FIN
  bool clean_end = false;
};

// Writes `request` (raw bytes) and FIN, returns every frame the dispatcher answers.
Exchange exchange(Fixture& f, std::vector<uint8_t> request, bool fin = true) {
  Exchange out;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto [client, server] = aster::transport::make_memory_pipe(io.get_executor(), 1 << 20);
    asio::co_spawn(io, serve_one(&f.dispatcher, std::move(server)), asio::detached);
    EXPECT_TRUE((co_await client->write(request)).is_ok());
    if (fin) {
      EXPECT_TRUE((co_await client->finish()).is_ok());
    }
    wire::FrameReader reader(*client);
    while (true) {
      auto frame = co_await reader.next();
      EXPECT_TRUE(frame.is_ok()) << frame.status().to_string();
      if (!frame.is_ok()) co_return;
      if (!frame->has_value()) break;
      out.frames.push_back(std::move(**frame));
    }
    out.clean_end = true;
  });
  return out;
}

std::vector<uint8_t> frames(std::initializer_list<std::pair<uint8_t, std::vector<uint8_t>>> list) {
  std::vector<uint8_t> out;
  for (const auto& [fl, payload] : list) EXPECT_TRUE(wire::append_frame(out, fl, payload).is_ok());
  return out;
}

std::vector<uint8_t> header(std::string service, std::string method, bool json = false,
                            int64_t version = 1, int64_t deadline = 0) {
  wire::StreamHeader h;
  h.service = std::move(service);
  h.method = std::move(method);
  h.version = version;
  h.deadline_epoch_ms = deadline;
  h.serialization_mode = json ? 3 : 0;
  return wire::encode_message(h, json).value();
}

wire::RpcStatus trailer_of(const Exchange& e, bool expect_json) {
  EXPECT_FALSE(e.frames.empty());
  if (e.frames.empty()) return {};
  const auto& last = e.frames.back();
  EXPECT_EQ(last.flags, wire::flags::kTrailer);
  EXPECT_EQ(!last.payload.empty() && last.payload[0] == '{', expect_json);
  return wire::decode_rpc_status(last.payload).value_or(wire::RpcStatus{-1, "undecodable", {}, {}});
}

TEST(RpcFrames, UnarySuccessIsOneDataFrameThenAnOkTrailer) {
  Fixture f;
  auto req = aster::rpc::encode_payload(EchoRequest{"x", ""}, false).value();
  auto e = exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo")}, {0, req}}));
  ASSERT_TRUE(e.clean_end);
  ASSERT_EQ(e.frames.size(), 2u);
  EXPECT_EQ(e.frames[0].flags, 0);
  EXPECT_EQ(aster::rpc::decode_payload<EchoReply>(e.frames[0].payload, false).value().message, "x");
  // The OK trailer is exactly 0.1.2's 26 bytes (never an empty trailer).
  EXPECT_EQ(e.frames[1].payload.size(), 26u);
  EXPECT_EQ(trailer_of(e, false).code, 0);
}

// framed_payload encodes the payload where its frame goes; its bytes are those of encoding
// first and framing after, compressed past the threshold in Fory mode only.
TEST(RpcFrames, FramedPayloadIsTheEncodedPayloadFramedBetweenItsNeighbours) {
  const std::vector<uint8_t> before = frames({{wire::flags::kHeader, header("RpcTest", "echo")}});
  const std::vector<uint8_t> after = frames({{wire::flags::kTrailer, {1, 2, 3}}});
  for (bool json : {false, true}) {
    for (size_t size : {size_t{0}, size_t{100}, wire::kCompressionThreshold + 1000}) {
      const EchoRequest value{"m", std::string(size, 'a')};
      auto payload = aster::rpc::encode_payload(value, json).value();
      std::vector<uint8_t> expected = before;
      if (!json && payload.size() > wire::kCompressionThreshold) {
        ASSERT_TRUE(wire::append_compressed_frame(expected, 0, payload).is_ok());
      } else {
        ASSERT_TRUE(wire::append_frame(expected, 0, payload).is_ok());
      }
      expected.insert(expected.end(), after.begin(), after.end());
      auto got = aster::rpc::framed_payload(value, json, before, after, StatusCode::kInternal);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      EXPECT_EQ(*got, expected) << "json " << json << ", size " << size;
      // With nothing around it, the one data frame.
      auto alone = aster::rpc::framed_payload(value, json, {}, {}, StatusCode::kInternal);
      ASSERT_TRUE(alone.is_ok());
      EXPECT_EQ(alone->size(), expected.size() - before.size() - after.size());
    }
  }
  // A value the Fory codec refuses (a str that is not UTF-8) fails with the caller's code.
  const EchoRequest bad{"\xff\xfe", ""};
  auto refused = aster::rpc::framed_payload(bad, false, before, {}, StatusCode::kDataLoss);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("fory encode"), std::string::npos);
}

TEST(RpcFrames, JsonStreamGetsJsonOkTrailerButForyErrorTrailers) {
  Fixture f;
  auto req = aster::rpc::encode_payload(EchoRequest{"x", ""}, true).value();
  auto ok = exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo", true)}, {0, req}}));
  ASSERT_EQ(ok.frames.size(), 2u);
  EXPECT_EQ(ok.frames[0].payload[0], '{');
  EXPECT_EQ(std::string(ok.frames[1].payload.begin(), ok.frames[1].payload.end()),
            R"({"code":0,"message":"","detailKeys":[],"detailValues":[]})");
  auto fail = aster::rpc::encode_payload(FailRequest{7, "no"}, true).value();
  auto err = exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "fail", true)}, {0, fail}}));
  auto st = trailer_of(err, /*expect_json=*/false);  // 0.1.2 writes handler errors in Fory
  EXPECT_EQ(st.code, 7);
  EXPECT_EQ(st.message, "no");
  // Early rejections follow the header's mode.
  auto nf = exchange(f, frames({{wire::flags::kHeader, header("Nope", "x", true)}}));
  EXPECT_EQ(trailer_of(nf, true).code, 5);
}

TEST(RpcFrames, MalformedStreams) {
  Fixture f;
  // EOF before any frame: nothing is sent.
  auto empty = exchange(f, {});
  EXPECT_TRUE(empty.clean_end);
  EXPECT_TRUE(empty.frames.empty());
  // First frame without HEADER.
  auto st = trailer_of(exchange(f, frames({{0, {1, 2, 3}}})), false);
  EXPECT_EQ(st.code, 13);
  EXPECT_EQ(st.message, "First frame must have HEADER flag");
  // Undecodable header.
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, {0xde, 0xad}}})), false);
  EXPECT_EQ(st.code, 13);
  EXPECT_EQ(st.message, "Invalid StreamHeader");
  // Oversize length prefix: refused from the prefix alone.
  st = trailer_of(exchange(f, {0x01, 0x00, 0x00, 0x01, 0x04}, /*fin=*/false), false);
  EXPECT_EQ(st.code, 13);
  // Zero-length frame.
  st = trailer_of(exchange(f, {0, 0, 0, 0}), false);
  EXPECT_EQ(st.code, 13);
  // Missing service name.
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, header("", "echo")}})), false);
  EXPECT_EQ(st.code, 3);
  EXPECT_EQ(st.message, "Missing service name");
  // Session stream on a shared service.
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "")}})), false);
  EXPECT_EQ(st.code, 9);
  // Unsupported mode.
  auto h = wire::StreamHeader{"RpcTest", "echo", 1, "", 0, 2, {}, {}};
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, wire::encode_message(h, false).value()}})), false);
  EXPECT_EQ(st.code, 3);
  EXPECT_EQ(st.message, "Unsupported serialization mode: 2");
}

TEST(RpcFrames, RequestProblems) {
  Fixture f;
  // Header, then FIN without a request.
  auto st = trailer_of(exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo")}})), false);
  EXPECT_EQ(st.code, 14);
  EXPECT_EQ(st.message, "Stream ended");
  // A trailer instead of the request.
  auto ok = wire::encode_message(wire::RpcStatus{}, false).value();
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo")},
                                      {wire::flags::kTrailer, ok}})), false);
  EXPECT_EQ(st.code, 14);
  EXPECT_EQ(st.message, "Unexpected trailer");
  // An undecodable request: UNKNOWN, as 0.1.2's normalize_error.
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo")},
                                      {0, {0x02, 0xff, 0x00}}})), false);
  EXPECT_EQ(st.code, 2);
  // A corrupt compressed request.
  st = trailer_of(exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo")},
                                      {wire::flags::kCompressed, {1, 2, 3}}})), false);
  EXPECT_EQ(st.code, 2);
  // CANCEL frames before the request are skipped on stateless streams.
  auto req = aster::rpc::encode_payload(EchoRequest{"after cancel", ""}, false).value();
  auto e = exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo")},
                               {wire::flags::kCancel, {}}, {0, req}}));
  ASSERT_EQ(e.frames.size(), 2u);
  EXPECT_EQ(trailer_of(e, false).code, 0);
}

TEST(RpcFrames, ExpiredDeadlineIsRejectedBeforeTheHandler) {
  Fixture f;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto st = trailer_of(
      exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo", false, 1, now - 1000)}})),
      false);
  EXPECT_EQ(st.code, 4);
  EXPECT_EQ(st.message, "deadline exceeded");
  st = trailer_of(
      exchange(f, frames({{wire::flags::kHeader, header("RpcTest", "echo", false, 1, now - 60000)}})),
      false);
  EXPECT_EQ(st.code, 4);
  EXPECT_NE(st.message.find("deadline already expired on receipt"), std::string::npos);
}

TEST(RpcBinding, IncompleteOrMistypedImplementationsAreRefused) {
  Dispatcher d;
  aster::rpc::ServiceImpl partial(RpcTest::descriptor());
  partial.unary<EchoRequest, EchoReply>(
      "echo", [](EchoRequest r, aster::rpc::CallContext&) -> asio::awaitable<EchoReply> {
        co_return EchoReply{};
      });
  auto st = d.add(std::move(partial));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("has no handler"), std::string::npos) << st.message();

  aster::rpc::ServiceImpl wrong(RpcTest::descriptor());
  wrong.unary<FailRequest, EchoReply>(
      "echo", [](FailRequest, aster::rpc::CallContext&) -> asio::awaitable<EchoReply> {
        co_return EchoReply{};
      });
  EXPECT_NE(wrong.check().message().find("types differ"), std::string::npos);

  EXPECT_TRUE(d.add(make_rpc_test_impl()).is_ok());
  EXPECT_EQ(d.add(make_rpc_test_impl()).code(), StatusCode::kAlreadyExists);
}

}  // namespace

namespace {

TEST(RpcRaw, ValueCallsByMethodName) {
  Fixture f;
  for (bool json : {false, true}) {
    run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
      aster::rpc::RawTransport raw(std::make_shared<PipeChannel>(io.get_executor(), f.dispatcher),
                                   RpcTest::descriptor(), 1, json);
      auto request = aster::Value::make_struct("test.rpc/EchoRequest",
                                               {{"message", "raw"}, {"data", "bytes"}});
      auto reply = co_await raw.unary("echo", request);
      EXPECT_TRUE(reply.is_ok()) << reply.status().to_string();
      if (!reply.is_ok()) co_return;
      EXPECT_EQ(reply->as_struct().find("message")->as_string(), "raw");
      EXPECT_EQ(reply->as_struct().find("peer")->as_string(), "peer-under-test");

      auto fail = aster::Value::make_struct("test.rpc/FailRequest",
                                            {{"code", int64_t{7}}, {"message", "denied"}});
      auto failed = co_await raw.unary("fail", fail);
      EXPECT_EQ(failed.status().code(), StatusCode::kPermissionDenied);
      EXPECT_EQ((co_await raw.unary("nope", request)).status().code(), StatusCode::kUnimplemented);
      EXPECT_EQ((co_await raw.unary("count", request)).status().code(),
                StatusCode::kInvalidArgument);  // declared as a server stream

      auto count = aster::Value::make_struct(
          "test.rpc/CountRequest", {{"n", int64_t{3}}, {"fail_at", int64_t{-1}}, {"delay_ms", int64_t{0}}});
      auto stream = co_await raw.server_stream("count", count);
      EXPECT_TRUE(stream.is_ok()) << stream.status().to_string();
      if (!stream.is_ok()) co_return;
      std::vector<int64_t> got;
      while (true) {
        auto item = co_await stream->next();
        EXPECT_TRUE(item.is_ok());
        if (!item.is_ok() || !item->has_value()) break;
        got.push_back((*item)->as_struct().find("i")->as_int());
      }
      EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2}));
    });
  }
}

// Issue 10, point 3: no C++ type on the consumer side — the types come from what the producer
// publishes (its manifest and type blobs), as `aster call` gets them.
TEST(RpcRaw, FromTheProducersManifest) {
  Fixture f;
  auto artifacts = aster::contract::build_contract_artifacts(RpcTest::descriptor());
  ASSERT_TRUE(artifacts.is_ok()) << artifacts.status().to_string();
  std::vector<aster::contract::TypeBlob> blobs;
  for (const auto& t : artifacts->types) blobs.push_back({t.hash, t.type_def});
  auto types = std::make_shared<aster::contract::ManifestTypes>(
      std::vector<aster::contract::ContractManifest>{artifacts->manifest}, std::move(blobs));
  for (bool json : {false, true}) {
    run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
      auto raw = aster::rpc::RawTransport::from_manifest(
          std::make_shared<PipeChannel>(io.get_executor(), f.dispatcher), types, "RpcTest", 1,
          json);
      EXPECT_TRUE(raw.is_ok()) << raw.status().to_string();
      if (!raw.is_ok()) co_return;
      EXPECT_EQ(raw->descriptor().methods().size(), RpcTest::descriptor().methods().size());
      auto echo = raw->method("echo");
      EXPECT_TRUE(echo.is_ok());
      auto request = types->request_from_json(*types->find_manifest("RpcTest", 1), "echo",
                                              R"({"message":"from manifest"})");
      EXPECT_TRUE(request.is_ok()) << request.status().to_string();
      if (!request.is_ok()) co_return;
      auto reply = co_await raw->unary("echo", std::move(*request));
      EXPECT_TRUE(reply.is_ok()) << reply.status().to_string();
      if (!reply.is_ok()) co_return;
      auto text = types->to_json("test.rpc/EchoReply", *reply);
      EXPECT_TRUE(text.is_ok());
      EXPECT_EQ(*text,
                R"({"message":"from manifest","data":"","metadata":"","peer":"peer-under-test"})");

      auto count = types->from_json("test.rpc/CountRequest", R"({"n":2,"fail_at":-1})");
      EXPECT_TRUE(count.is_ok());
      auto stream = co_await raw->server_stream("count", std::move(*count));
      EXPECT_TRUE(stream.is_ok()) << stream.status().to_string();
      if (!stream.is_ok()) co_return;
      int items = 0;
      while (true) {
        auto item = co_await stream->next();
        EXPECT_TRUE(item.is_ok());
        if (!item.is_ok() || !item->has_value()) break;
        ++items;
      }
      EXPECT_EQ(items, 2);
      auto nope = aster::Value::make_struct("test.rpc/EchoRequest", {});
      EXPECT_EQ((co_await raw->unary("nope", nope)).status().code(), StatusCode::kUnimplemented);
    });
  }
  EXPECT_EQ(aster::rpc::RawTransport::from_manifest(nullptr, types, "RpcTest", 2).status().code(),
            StatusCode::kNotFound);
}

// A method whose types the manifest cannot describe stays known and says why when called.
TEST(RpcRaw, FromAManifestWithoutTheNestedTypes) {
  auto m = aster::contract::parse_manifest(R"({"v":1,"service":"S","version":1,"contract_id":")" +
                                           std::string(64, 'a') + R"(","methods":[
    {"name":"flat","pattern":"unary","request_type":"A","response_type":"A",
     "request_wire_tag":"p/A","response_wire_tag":"p/A","fields":[{"name":"n","kind":"int"}],
     "response_fields":[{"name":"n","kind":"int"}]},
    {"name":"deep","pattern":"unary","request_type":"B","response_type":"A",
     "request_wire_tag":"p/B","response_wire_tag":"p/A",
     "fields":[{"name":"inner","kind":"ref","wire_tag":"p/Inner","ref_name":"Inner"}]}]})");
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  auto types = std::make_shared<aster::contract::ManifestTypes>(
      std::vector<aster::contract::ContractManifest>{*m});
  auto raw = aster::rpc::RawTransport::from_manifest(nullptr, types, "S", 1);
  ASSERT_TRUE(raw.is_ok()) << raw.status().to_string();
  EXPECT_TRUE(raw->method("flat").is_ok());
  auto deep = raw->method("deep");
  EXPECT_EQ(deep.status().code(), StatusCode::kNotFound);
  EXPECT_NE(deep.status().message().find("p/Inner"), std::string::npos)
      << deep.status().message();
  EXPECT_EQ(raw->method("none").status().code(), StatusCode::kUnimplemented);
}

// 0.1.2 producers list no serialization modes in the admission summary; a JSON-only service
// (`@service(serialization=[SerializationMode.JSON])`) says so in its contract: the manifest
// or the declaration decides.
TEST(RpcRaw, JsonOnlyFromTheManifestWhenTheSummaryListsNoModes) {
  EXPECT_TRUE(aster::rpc::json_only({"json"}));
  EXPECT_FALSE(aster::rpc::json_only({"xlang", "json"}));
  EXPECT_FALSE(aster::rpc::json_only({}));
  auto m = aster::contract::parse_manifest(R"({"v":1,"service":"J","version":2,"contract_id":")" +
                                           std::string(64, 'a') + R"(",
    "serialization_modes":["json"],"methods":[
    {"name":"flat","pattern":"unary","request_type":"A","response_type":"A",
     "request_wire_tag":"p/A","response_wire_tag":"p/A","fields":[{"name":"n","kind":"int"}],
     "response_fields":[{"name":"n","kind":"int"}]}]})");
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  auto types = std::make_shared<aster::contract::ManifestTypes>(
      std::vector<aster::contract::ContractManifest>{*m});
  auto raw = aster::rpc::RawTransport::from_manifest(nullptr, types, "J", 2);
  ASSERT_TRUE(raw.is_ok()) << raw.status().to_string();
  EXPECT_TRUE(raw->json());

  aster::trust::ServiceSummary summary;
  summary.name = "J";
  summary.version = 2;
  const auto json_desc = aster::contract::ServiceDesc("J").version(2).serialization_modes({"json"});
  EXPECT_FALSE(aster::rpc::Client::uses_json(summary));
  EXPECT_TRUE(aster::rpc::Client::uses_json(summary, json_desc));
  summary.serialization_modes = {"xlang"};  // the summary, when it lists modes, wins
  EXPECT_FALSE(aster::rpc::Client::uses_json(summary, json_desc));
}

}  // namespace
