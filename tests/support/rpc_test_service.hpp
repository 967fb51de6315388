// RpcTest: the service the RPC unit tests (over the in-memory pipe) and the interop tests (our
// producer against 0.1.2's Python consumer, tests/interop/py/rpc_test_consumer.py, which
// declares the same service: tests/interop/py/rpc_test_service.py) exercise. Covers every
// status a handler can send, deadlines, metadata and payload sizes in all four stateless
// patterns.
#pragma once

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <string>

#include "aster/codec/declare.hpp"
#include "aster/contract/service.hpp"
#include "aster/rpc/service_client.hpp"
#include "aster/rpc/service_impl.hpp"

namespace aster::testing {

struct EchoRequest {
  std::string message;
  std::string data;
  friend bool operator==(const EchoRequest&, const EchoRequest&) = default;
};
ASTER_MESSAGE(EchoRequest, "test.rpc/EchoRequest", ASTER_FIELD(message), ASTER_FIELD(data))

struct EchoReply {
  std::string message;
  std::string data;
  std::string metadata;  // the value of call metadata "x-echo" ("" when absent)
  std::string peer;
  friend bool operator==(const EchoReply&, const EchoReply&) = default;
};
ASTER_MESSAGE(EchoReply, "test.rpc/EchoReply", ASTER_FIELD(message), ASTER_FIELD(data),
              ASTER_FIELD(metadata), ASTER_FIELD(peer))

struct FailRequest {
  int64_t code = 0;
  std::string message;
};
ASTER_MESSAGE(FailRequest, "test.rpc/FailRequest", ASTER_FIELD(code), ASTER_FIELD(message))

struct SlowRequest {
  int64_t ms = 0;
};
ASTER_MESSAGE(SlowRequest, "test.rpc/SlowRequest", ASTER_FIELD(ms))

struct CountRequest {
  int64_t n = 0;
  int64_t fail_at = -1;  // send a FAILED_PRECONDITION after this many items (-1: never)
  int64_t delay_ms = 0;  // pause before each item
};
ASTER_MESSAGE(CountRequest, "test.rpc/CountRequest", ASTER_FIELD(n), ASTER_FIELD(fail_at),
              ASTER_FIELD(delay_ms))

struct CountItem {
  int64_t i = 0;
  friend bool operator==(const CountItem&, const CountItem&) = default;
};
ASTER_MESSAGE(CountItem, "test.rpc/CountItem", ASTER_FIELD(i))

struct RpcTest {
  static const contract::ServiceDesc& descriptor() {
    static const contract::ServiceDesc desc =
        contract::ServiceDesc("RpcTest")
            .version(1)
            .method(contract::unary<EchoRequest, EchoReply>("echo"))
            .method(contract::unary<FailRequest, EchoReply>("fail"))
            .method(contract::unary<SlowRequest, EchoReply>("slow"))
            .method(contract::server_stream<CountRequest, CountItem>("count"))
            // The echo reply twice.
            .method(contract::server_stream<EchoRequest, EchoReply>("echo_stream"))
            // One item, then the requested error.
            .method(contract::server_stream<FailRequest, CountItem>("fail_stream"))
            // messages joined by "|", data concatenated, metadata "x-echo", peer.
            .method(contract::client_stream<EchoRequest, EchoReply>("collect"))
            // The first item's code and message as the error ("no items" reply without one).
            .method(contract::client_stream<FailRequest, EchoReply>("collect_fail"))
            // Sleeps for the sum of the items' ms, then replies "slept".
            .method(contract::client_stream<SlowRequest, EchoReply>("collect_slow"))
            // Each request echoed as it arrives.
            .method(contract::bidi_stream<EchoRequest, EchoReply>("chat"))
            // Code 0 items echoed (message), the first other code raised.
            .method(contract::bidi_stream<FailRequest, EchoReply>("chat_fail"))
            // Reads one CountRequest, sends its items (as `count`) and ends the call without
            // waiting for the consumer's end of input.
            .method(contract::bidi_stream<CountRequest, CountItem>("chat_count"));
    return desc;
  }

  class Client : public rpc::ServiceClient {
   public:
    using ServiceClient::ServiceClient;
    asio::awaitable<EchoReply> echo(EchoRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("echo", std::move(r), std::move(o));
    }
    asio::awaitable<EchoReply> fail(FailRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("fail", std::move(r), std::move(o));
    }
    asio::awaitable<EchoReply> slow(SlowRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("slow", std::move(r), std::move(o));
    }
    asio::awaitable<rpc::ServerStream<CountItem>> count(CountRequest r, rpc::CallOptions o = {}) {
      return server_stream<CountItem>("count", std::move(r), std::move(o));
    }
    asio::awaitable<rpc::ServerStream<EchoReply>> echo_stream(EchoRequest r,
                                                              rpc::CallOptions o = {}) {
      return server_stream<EchoReply>("echo_stream", std::move(r), std::move(o));
    }
    asio::awaitable<rpc::ServerStream<CountItem>> fail_stream(FailRequest r,
                                                              rpc::CallOptions o = {}) {
      return server_stream<CountItem>("fail_stream", std::move(r), std::move(o));
    }
    asio::awaitable<rpc::ClientStreamWriter<EchoRequest, EchoReply>> collect(
        rpc::CallOptions o = {}) {
      return client_stream<EchoReply, EchoRequest>("collect", std::move(o));
    }
    asio::awaitable<rpc::ClientStreamWriter<FailRequest, EchoReply>> collect_fail(
        rpc::CallOptions o = {}) {
      return client_stream<EchoReply, FailRequest>("collect_fail", std::move(o));
    }
    asio::awaitable<rpc::ClientStreamWriter<SlowRequest, EchoReply>> collect_slow(
        rpc::CallOptions o = {}) {
      return client_stream<EchoReply, SlowRequest>("collect_slow", std::move(o));
    }
    asio::awaitable<rpc::BidiStream<EchoRequest, EchoReply>> chat(rpc::CallOptions o = {}) {
      return bidi<EchoReply, EchoRequest>("chat", std::move(o));
    }
    asio::awaitable<rpc::BidiStream<FailRequest, EchoReply>> chat_fail(rpc::CallOptions o = {}) {
      return bidi<EchoReply, FailRequest>("chat_fail", std::move(o));
    }
    asio::awaitable<rpc::BidiStream<CountRequest, CountItem>> chat_count(
        rpc::CallOptions o = {}) {
      return bidi<CountItem, CountRequest>("chat_count", std::move(o));
    }
  };
};

// How many server-stream writes failed because the consumer went away (cancel tests).
inline int& rpc_test_abandoned_streams() {
  static int n = 0;
  return n;
}

// How many times the producer ran the `echo` handler (calls that must run exactly once).
inline int& rpc_test_echo_calls() {
  static int n = 0;
  return n;
}

inline EchoReply echo_reply(EchoRequest req, const rpc::CallContext& ctx) {
  return EchoReply{std::move(req.message), std::move(req.data),
                   std::string(ctx.find_metadata("x-echo").value_or("")), ctx.peer};
}

// `count`'s items: req.n of them, req.delay_ms apart, FAILED_PRECONDITION at req.fail_at.
inline asio::awaitable<Status> write_count_items(CountRequest req,
                                                 rpc::ServerWriter<CountItem>& out) {
  for (int64_t i = 0; i < req.n; ++i) {
    if (i == req.fail_at) {
      co_return Status(StatusCode::kFailedPrecondition, "failed at " + std::to_string(i));
    }
    if (req.delay_ms > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor,
                           std::chrono::milliseconds(req.delay_ms));
      co_await t.async_wait(asio::use_awaitable);
    }
    const CountItem item{i};
    Status st = co_await out.write(item);
    if (!st.is_ok()) {
      if (st.code() != StatusCode::kDeadlineExceeded) ++rpc_test_abandoned_streams();
      co_return st;
    }
  }
  co_return Status::ok();
}

inline rpc::ServiceImpl make_rpc_test_impl() {
  rpc::ServiceImpl impl(RpcTest::descriptor());
  impl.unary<EchoRequest, EchoReply>(
      "echo", [](EchoRequest req, rpc::CallContext& ctx) -> asio::awaitable<Result<EchoReply>> {
        ++rpc_test_echo_calls();
        co_return echo_reply(std::move(req), ctx);
      });
  impl.unary<FailRequest, EchoReply>(
      "fail", [](FailRequest req, rpc::CallContext&) -> asio::awaitable<EchoReply> {
        throw RpcError(static_cast<StatusCode>(req.code), req.message);
        co_return EchoReply{};
      });
  impl.unary<SlowRequest, EchoReply>(
      "slow", [](SlowRequest req, rpc::CallContext&) -> asio::awaitable<Result<EchoReply>> {
        asio::steady_timer t(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(req.ms));
        co_await t.async_wait(asio::use_awaitable);
        co_return EchoReply{"slept", "", "", ""};
      });
  impl.server_stream<CountRequest, CountItem>(
      "count", [](CountRequest req, rpc::CallContext&,
                  rpc::ServerWriter<CountItem>& out) -> asio::awaitable<Status> {
        co_return co_await write_count_items(req, out);
      });
  impl.server_stream<EchoRequest, EchoReply>(
      "echo_stream", [](EchoRequest req, rpc::CallContext& ctx,
                        rpc::ServerWriter<EchoReply>& out) -> asio::awaitable<Status> {
        const EchoReply reply = echo_reply(std::move(req), ctx);
        for (int i = 0; i < 2; ++i) ASTER_CO_RETURN_IF_ERROR(co_await out.write(reply));
        co_return Status::ok();
      });
  impl.server_stream<FailRequest, CountItem>(
      "fail_stream", [](FailRequest req, rpc::CallContext&,
                        rpc::ServerWriter<CountItem>& out) -> asio::awaitable<Status> {
        const CountItem first{0};
        ASTER_CO_RETURN_IF_ERROR(co_await out.write(first));
        co_return Status(static_cast<StatusCode>(req.code), req.message);
      });
  impl.client_stream<EchoRequest, EchoReply>(
      "collect", [](rpc::ServerReader<EchoRequest>& in,
                    rpc::CallContext& ctx) -> asio::awaitable<Result<EchoReply>> {
        EchoRequest all;
        bool first = true;
        while (auto item = co_await in.next()) {
          all.message += (first ? "" : "|") + item->message;
          all.data += item->data;
          first = false;
        }
        co_return echo_reply(std::move(all), ctx);
      });
  impl.client_stream<FailRequest, EchoReply>(
      "collect_fail",
      [](rpc::ServerReader<FailRequest>& in, rpc::CallContext&) -> asio::awaitable<EchoReply> {
        // Fails on the first item without reading the rest: the dispatcher still takes the
        // remaining input, as 0.1.2 (which reads it all before the handler) would.
        auto item = co_await in.next();
        if (!item) co_return EchoReply{"no items", "", "", ""};
        throw RpcError(static_cast<StatusCode>(item->code), item->message);
      });
  impl.client_stream<SlowRequest, EchoReply>(
      "collect_slow", [](rpc::ServerReader<SlowRequest>& in,
                         rpc::CallContext&) -> asio::awaitable<Result<EchoReply>> {
        int64_t ms = 0;
        while (auto item = co_await in.next()) ms += item->ms;
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
        co_await t.async_wait(asio::use_awaitable);
        co_return EchoReply{"slept", "", "", ""};
      });
  impl.bidi<EchoRequest, EchoReply>(
      "chat", [](rpc::ServerReader<EchoRequest>& in, rpc::CallContext& ctx,
                 rpc::ServerWriter<EchoReply>& out) -> asio::awaitable<Status> {
        while (auto item = co_await in.next()) {
          const EchoReply reply = echo_reply(std::move(*item), ctx);
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(reply));
        }
        co_return Status::ok();
      });
  impl.bidi<FailRequest, EchoReply>(
      "chat_fail", [](rpc::ServerReader<FailRequest>& in, rpc::CallContext&,
                      rpc::ServerWriter<EchoReply>& out) -> asio::awaitable<Status> {
        while (auto item = co_await in.next()) {
          if (item->code != 0) co_return Status(static_cast<StatusCode>(item->code), item->message);
          const EchoReply reply{item->message, "", "", ""};
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(reply));
        }
        co_return Status::ok();
      });
  impl.bidi<CountRequest, CountItem>(
      "chat_count", [](rpc::ServerReader<CountRequest>& in, rpc::CallContext&,
                       rpc::ServerWriter<CountItem>& out) -> asio::awaitable<Status> {
        auto req = co_await in.next();
        if (!req) co_return Status::ok();
        co_return co_await write_count_items(*req, out);
      });
  return impl;
}

}  // namespace aster::testing
