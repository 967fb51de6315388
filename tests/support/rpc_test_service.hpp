// RpcTest: the service the RPC unit tests (over the in-memory pipe) and the interop tests (our
// producer against 0.1.2's Python consumer, tests/interop/py/rpc_test_consumer.py, which
// declares the same service) exercise. Covers every status a handler can send, deadlines,
// metadata, payload sizes and server streams.
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
            .method(contract::server_stream<CountRequest, CountItem>("count"));
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
  };
};

// How many server-stream writes failed because the consumer went away (cancel tests).
inline int& rpc_test_abandoned_streams() {
  static int n = 0;
  return n;
}

inline rpc::ServiceImpl make_rpc_test_impl() {
  rpc::ServiceImpl impl(RpcTest::descriptor());
  impl.unary<EchoRequest, EchoReply>(
      "echo", [](EchoRequest req, rpc::CallContext& ctx) -> asio::awaitable<Result<EchoReply>> {
        co_return EchoReply{std::move(req.message), std::move(req.data),
                            std::string(ctx.find_metadata("x-echo").value_or("")), ctx.peer};
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
      "count",
      [](CountRequest req, rpc::CallContext&,
         rpc::ServerWriter<CountItem>& out) -> asio::awaitable<Status> {
        for (int64_t i = 0; i < req.n; ++i) {
          if (i == req.fail_at) co_return Status(StatusCode::kFailedPrecondition, "failed at " + std::to_string(i));
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
      });
  return impl;
}

}  // namespace aster::testing
