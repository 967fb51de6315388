// Issue 10, "Reliability": a consumer that speaks raw frames on `aster/1` — garbage frames,
// oversized length prefixes, a header then silence, a request stream that never ends — gets
// the status a 0.1.2 producer would send (aster-rpc@0972ac9:bindings/python/aster/server.py
// `_handle_stream`, `_decode_request_frame`; docs/rpc.md "Bounds on a call's input"), and the
// producer keeps serving everyone else meanwhile. No Python: the abuse goes straight over a QUIC
// connection to our aster::Server.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "aster/rpc/client.hpp"
#include "aster/rpc/payload.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/transport/quic_byte_stream.hpp"
#include "aster/wire/frame_io.hpp"
#include "aster/wire/messages.hpp"
#include "rpc_test_service.hpp"

namespace {

using aster::Status;
using aster::StatusCode;
using aster::testing::EchoReply;
using aster::testing::EchoRequest;
using aster::testing::RpcTest;
namespace flags = aster::wire::flags;
using Bytes = std::vector<uint8_t>;

constexpr auto kReadTimeout = std::chrono::milliseconds(1000);

// What came back on one abused stream.
struct Reply {
  int data_frames = 0;
  std::optional<aster::wire::RpcStatus> trailer;
  bool fin_after_trailer = false;
  std::string error;  // a read error instead of a trailer
};

Bytes frame(uint8_t f, const Bytes& payload) {
  return aster::wire::encode_frame(f, payload).value();
}

Bytes header_bytes(const std::string& method, int64_t deadline_epoch_ms = 0) {
  aster::wire::StreamHeader h;
  h.service = "RpcTest";
  h.method = method;
  h.version = 1;
  h.deadline_epoch_ms = deadline_epoch_ms;
  return frame(flags::kHeader, aster::wire::encode_message(h, false).value());
}

Bytes echo_request_bytes() {
  EchoRequest req{"hi", ""};
  return frame(0, aster::rpc::encode_payload(req, false).value());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class ServerAbuse : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_ = aster::transport::BlockingRuntime::create().value();
    aster::rpc::ServerOptions options;
    options.bind_v4 = "127.0.0.1:0";
    options.request_read_timeout = kReadTimeout;
    server_ = std::make_unique<aster::Server>(rt_->runtime(), options);
    server_->add(aster::testing::make_rpc_test_impl());
    ASSERT_TRUE(rt_->run(server_->start()).is_ok());
    asio::co_spawn(rt_->io(), server_->serve(), asio::detached);
    conn_ = rt_->run([&]() -> asio::awaitable<aster::Result<aster::transport::Connection>> {
      aster::transport::EndpointConfig cfg;
      cfg.bind_v4 = "127.0.0.1:0";
      ASTER_CO_ASSIGN_OR_RETURN(auto ep, co_await rt_->runtime().create_endpoint(cfg));
      endpoint_ = std::move(ep);
      ASTER_CO_ASSIGN_OR_RETURN(auto addr,
                                aster::transport::parse_endpoint_addr(server_->endpoint_addr_b64()));
      co_return co_await endpoint_.connect(addr, "aster/1");
    }());
    ASSERT_TRUE(conn_.is_ok()) << conn_.status().to_string();
  }

  void TearDown() override {
    if (conn_.is_ok()) (void)conn_->close(0, "done");
    rt_->run(server_->close());
  }

  // Opens a stream, writes `bytes` (then FIN when `fin`), and reads what comes back.
  Reply send(Bytes bytes, bool fin) {
    return rt_->run([&]() -> asio::awaitable<Reply> {
      Reply r;
      auto opened = co_await conn_->open_bi();
      if (!opened.is_ok()) {
        r.error = opened.status().to_string();
        co_return r;
      }
      auto stream = aster::transport::make_quic_byte_stream(std::move(*opened));
      // if/else, not `fin ? co_await … : co_await …`: GCC 12 destroys the result of a
      // co_await inside a conditional expression twice (like braced temporaries, docs/rpc.md).
      Status st;
      if (fin) {
        st = co_await stream->write_and_finish(bytes);
      } else {
        st = co_await stream->write(bytes);
      }
      if (!st.is_ok()) {
        r.error = "write: " + st.to_string();
        co_return r;
      }
      co_return co_await read_reply(*stream);
    }());
  }

  static asio::awaitable<Reply> read_reply(aster::transport::ByteStream& stream) {
    Reply r;
    aster::wire::FrameReader reader(stream);
    while (true) {
      auto f = co_await reader.next();
      if (!f.is_ok()) {
        r.error = f.status().to_string();
        co_return r;
      }
      if (!f->has_value()) {
        r.fin_after_trailer = r.trailer.has_value();
        if (!r.trailer) r.error = "FIN without a trailer";
        co_return r;
      }
      if ((*f)->has(flags::kTrailer)) {
        auto status = aster::wire::decode_rpc_status((*f)->payload);
        if (!status.is_ok()) {
          r.error = status.status().to_string();
          co_return r;
        }
        r.trailer = std::move(*status);
      } else {
        ++r.data_frames;
      }
    }
  }

  // A well-formed echo call on a stream of the same connection.
  void expect_normal_call_works() {
    Reply r = send(cat({header_bytes("echo"), echo_request_bytes()}), true);
    ASSERT_TRUE(r.trailer) << r.error;
    EXPECT_EQ(r.trailer->code, 0) << r.trailer->message;
    EXPECT_EQ(r.data_frames, 1);
  }

  // The producer ends up serving nothing (every abused call was answered and freed).
  void expect_no_calls_left() {
    for (int i = 0; i < 500 && server_->load().calls != 0; ++i) {
      rt_->run([&]() -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
        co_await t.async_wait(asio::use_awaitable);
      }());
    }
    EXPECT_EQ(server_->load().calls, 0u);
  }

  std::unique_ptr<aster::transport::BlockingRuntime> rt_;
  std::unique_ptr<aster::Server> server_;
  aster::transport::Endpoint endpoint_;
  aster::Result<aster::transport::Connection> conn_;
};

void expect_trailer(const Reply& r, StatusCode code, std::string_view message_part) {
  ASSERT_TRUE(r.trailer) << r.error;
  EXPECT_EQ(r.trailer->code, static_cast<int64_t>(code)) << r.trailer->message;
  EXPECT_NE(r.trailer->message.find(message_part), std::string::npos) << r.trailer->message;
  EXPECT_TRUE(r.fin_after_trailer);
}

TEST_F(ServerAbuse, GarbageFirstFrameWithoutHeaderFlagGetsInternal) {
  expect_trailer(send(frame(0, {0xde, 0xad, 0xbe, 0xef}), true), StatusCode::kInternal,
                 "First frame must have HEADER flag");
  expect_normal_call_works();
}

TEST_F(ServerAbuse, GarbageHeaderPayloadGetsInternal) {
  expect_trailer(send(frame(flags::kHeader, {0xff, 0x00, 0x13, 0x37, 0x42}), true),
                 StatusCode::kInternal, "Invalid StreamHeader");
  expect_normal_call_works();
}

TEST_F(ServerAbuse, ZeroLengthPrefixGetsInternal) {
  expect_trailer(send(Bytes{0, 0, 0, 0, 7, 7, 7}, true), StatusCode::kInternal, "zero-length");
  expect_normal_call_works();
}

TEST_F(ServerAbuse, OversizedLengthPrefixFirstGetsInternalWithoutReadingTheBody) {
  // 4 GiB - 1 announced, nothing sent after it: the limit is checked on the prefix alone.
  expect_trailer(send(Bytes{0xff, 0xff, 0xff, 0xff, flags::kHeader}, false),
                 StatusCode::kInternal, "exceeds maximum");
  expect_normal_call_works();
}

TEST_F(ServerAbuse, OversizedRequestFrameGetsUnknown) {
  // 16 MiB + 2: one byte over 0.1.2's MAX_FRAME_SIZE.
  Bytes over{0x02, 0x00, 0x00, 0x01, 0x00};
  expect_trailer(send(cat({header_bytes("echo"), over}), false), StatusCode::kUnknown,
                 "exceeds maximum");
  expect_normal_call_works();
}

TEST_F(ServerAbuse, TruncatedRequestFrameGetsUnknown) {
  Bytes truncated{0x10, 0x00, 0x00, 0x00, 0x00, 1, 2, 3};  // 16 announced, 4 sent, then FIN
  expect_trailer(send(cat({header_bytes("echo"), truncated}), true), StatusCode::kUnknown,
                 "stream ended inside a frame");
  expect_normal_call_works();
}

TEST_F(ServerAbuse, PartialPrefixThenSilenceGetsInternalAfterTheReadBound) {
  expect_trailer(send(Bytes{0x05, 0x00}, false), StatusCode::kInternal,
                 "no StreamHeader within 1000 ms");
  expect_normal_call_works();
  expect_no_calls_left();
}

TEST_F(ServerAbuse, HeaderThenSilenceGetsUnknownAfterTheReadBoundWhileOthersAreServed) {
  // The silent call and a normal one at once on the same connection.
  struct Both {
    Reply silent;
    Reply normal;
  };
  Both both = rt_->run([&]() -> asio::awaitable<Both> {
    Both b;
    auto silent = aster::transport::make_quic_byte_stream((co_await conn_->open_bi()).value());
    const Bytes header = header_bytes("echo");
    (void)co_await silent->write(header);
    auto normal = aster::transport::make_quic_byte_stream((co_await conn_->open_bi()).value());
    const Bytes call = cat({header_bytes("echo"), echo_request_bytes()});
    (void)co_await normal->write_and_finish(call);
    b.normal = co_await read_reply(*normal);
    b.silent = co_await read_reply(*silent);
    co_return b;
  }());
  ASSERT_TRUE(both.normal.trailer) << both.normal.error;
  EXPECT_EQ(both.normal.trailer->code, 0);
  expect_trailer(both.silent, StatusCode::kUnknown, "no request within 1000 ms");
  expect_no_calls_left();
}

TEST_F(ServerAbuse, HeaderThenSilenceWithADeadlineGetsDeadlineExceeded) {
  const int64_t deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
                               (std::chrono::system_clock::now() + std::chrono::milliseconds(300))
                                   .time_since_epoch())
                               .count();
  expect_trailer(send(header_bytes("count", deadline), false), StatusCode::kDeadlineExceeded,
                 "deadline exceeded");
  expect_no_calls_left();
}

TEST_F(ServerAbuse, NeverEndingRequestStreamIsAnsweredAndStopped) {
  // A unary call whose consumer keeps sending data frames after its request: the producer
  // answers from the first frame (0.1.2 reads one), finishes, and stops reading the rest, so
  // the writer's next writes fail instead of filling the producer's buffers.
  struct Outcome {
    Reply reply;
    size_t sent = 0;
    bool writer_refused = false;
  };
  constexpr size_t kGiveUpAfter = 256u << 20;  // the writer stops here if never refused
  Outcome out = rt_->run([&]() -> asio::awaitable<Outcome> {
    Outcome o;
    auto stream = aster::transport::make_quic_byte_stream((co_await conn_->open_bi()).value());
    const Bytes start = cat({header_bytes("echo"), echo_request_bytes()});
    (void)co_await stream->write(start);
    o.reply = co_await read_reply(*stream);
    const Bytes more = frame(0, Bytes(60000, 0x61));
    while (o.sent < kGiveUpAfter) {
      Status st = co_await stream->write(more);
      if (!st.is_ok()) {
        o.writer_refused = true;
        break;
      }
      o.sent += more.size();
    }
    co_return o;
  }());
  ASSERT_TRUE(out.reply.trailer) << out.reply.error;
  EXPECT_EQ(out.reply.trailer->code, 0);
  EXPECT_EQ(out.reply.data_frames, 1);
  EXPECT_TRUE(out.writer_refused) << "sent " << out.sent << " bytes without STOP_SENDING";
  expect_normal_call_works();
  expect_no_calls_left();
}

TEST_F(ServerAbuse, NeverEndingClientStreamGetsResourceExhausted) {
  // A client stream that keeps sending items: item 100,001 ends the call with 0.1.2's
  // RESOURCE_EXHAUSTED, after which the producer stops reading (the writer is refused).
  struct Outcome {
    Reply reply;
    size_t frames = 0;
    bool writer_refused = false;
  };
  constexpr size_t kGiveUpAfter = 400000;  // frames; the writer stops here if never refused
  Outcome out = rt_->run([&]() -> asio::awaitable<Outcome> {
    Outcome o;
    auto stream = aster::transport::make_quic_byte_stream((co_await conn_->open_bi()).value());
    bool replied = false;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer reply_done(ex, asio::steady_timer::time_point::max());
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          o.reply = co_await read_reply(*stream);
          replied = true;
          reply_done.cancel();
        },
        asio::detached);
    const Bytes header = header_bytes("collect");
    (void)co_await stream->write(header);
    Bytes batch;
    const Bytes item = echo_request_bytes();
    for (int i = 0; i < 1000; ++i) batch.insert(batch.end(), item.begin(), item.end());
    while (!replied && o.frames < kGiveUpAfter) {
      Status st = co_await stream->write(batch);
      if (!st.is_ok()) {
        o.writer_refused = true;
        break;
      }
      o.frames += 1000;
    }
    std::error_code ec;
    if (!replied) co_await reply_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // The producer stops reading after its trailer: further writes are refused.
    for (int i = 0; i < 1000 && !o.writer_refused; ++i) {
      Status st = co_await stream->write(batch);
      if (!st.is_ok()) o.writer_refused = true;
    }
    co_return o;
  }());
  expect_trailer(out.reply, StatusCode::kResourceExhausted, "client stream exceeded 100000 items");
  EXPECT_GE(out.frames, 100000u);
  EXPECT_TRUE(out.writer_refused);
  expect_normal_call_works();
  expect_no_calls_left();
}

TEST_F(ServerAbuse, ManyAbusersAtOnceAndNormalCallsAllGetTheirStatus) {
  // Every kind above, 20 of each, interleaved with 100 normal calls on another client.
  struct Tally {
    int internal = 0, unknown = 0, ok = 0, other = 0;
    std::string first_other;
  };
  Tally t = rt_->run([&]() -> asio::awaitable<Tally> {
    Tally tally;
    auto ex = co_await asio::this_coro::executor;
    int pending = 0;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    auto launch = [&](Bytes bytes, bool fin) {
      ++pending;
      asio::co_spawn(
          ex,
          [&, bytes = std::move(bytes), fin]() -> asio::awaitable<void> {
            auto opened = co_await conn_->open_bi();
            if (opened.is_ok()) {
              auto stream = aster::transport::make_quic_byte_stream(std::move(*opened));
              if (fin) {
                (void)co_await stream->write_and_finish(bytes);
              } else {
                (void)co_await stream->write(bytes);
              }
              Reply r = co_await read_reply(*stream);
              const int64_t code = r.trailer ? r.trailer->code : -1;
              if (code == static_cast<int64_t>(StatusCode::kInternal)) {
                ++tally.internal;
              } else if (code == static_cast<int64_t>(StatusCode::kUnknown)) {
                ++tally.unknown;
              } else if (tally.other++ == 0) {
                tally.first_other = r.trailer ? r.trailer->message : r.error;
              }
            }
            if (--pending == 0) all_done.cancel();
          },
          asio::detached);
    };
    for (int i = 0; i < 20; ++i) {
      launch(frame(0, {1, 2, 3}), true);                                   // INTERNAL
      launch(Bytes{0xff, 0xff, 0xff, 0xff, flags::kHeader}, false);        // INTERNAL
      launch(Bytes{0x05, 0x00}, false);                                    // INTERNAL (bound)
      launch(cat({header_bytes("echo"), Bytes{0x02, 0, 0, 1, 0}}), false);  // UNKNOWN
      launch(header_bytes("echo"), false);                                 // UNKNOWN (bound)
    }
    aster::Client client(rt_->runtime(), server_->address());
    co_await client.connect();
    auto svc = co_await client.client<RpcTest>();
    for (int i = 0; i < 100; ++i) {
      EchoRequest req{"n" + std::to_string(i), ""};
      EchoReply reply = co_await svc.echo(std::move(req));
      if (reply.message == "n" + std::to_string(i)) ++tally.ok;
    }
    std::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return tally;
  }());
  EXPECT_EQ(t.ok, 100);
  EXPECT_EQ(t.internal, 60);
  EXPECT_EQ(t.unknown, 40);
  EXPECT_EQ(t.other, 0) << t.first_other;
  expect_no_calls_left();
}

}  // namespace
