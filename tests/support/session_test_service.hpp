// SessionTest: the session-scoped service the session unit tests (over the in-memory pipe) and
// the interop tests exercise; tests/interop/py/session_test_service.py is its Python twin
// (same tags, fields, methods). Each session keeps a running total and a call count, so state
// across calls and isolation between sessions are visible in every reply.
#pragma once

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

#include "aster/codec/declare.hpp"
#include "aster/contract/service.hpp"
#include "aster/rpc/session_client.hpp"
#include "aster/rpc/session_impl.hpp"
#include "rpc_test_service.hpp"

namespace aster::testing {

struct AddRequest {
  int64_t n = 0;
};
ASTER_MESSAGE(AddRequest, "test.session/AddRequest", ASTER_FIELD(n))

struct Total {
  int64_t total = 0;
  int64_t calls = 0;  // calls this session served, this one included
  std::string peer;   // the peer the instance was made for
  friend bool operator==(const Total&, const Total&) = default;
};
ASTER_MESSAGE(Total, "test.session/Total", ASTER_FIELD(total), ASTER_FIELD(calls),
              ASTER_FIELD(peer))

struct SessionTest {
  static const contract::ServiceDesc& descriptor() {
    static const contract::ServiceDesc desc =
        contract::ServiceDesc("SessionTest")
            .version(1)
            .scope(contract::ScopeKind::kSession)
            .method(contract::unary<AddRequest, Total>("add"))
            .method(contract::unary<EchoRequest, EchoReply>("echo"))
            .method(contract::unary<FailRequest, EchoReply>("fail"))
            .method(contract::unary<SlowRequest, EchoReply>("slow"))
            .method(contract::unary<EchoRequest, EchoReply>("crash"))
            .method(contract::server_stream<CountRequest, CountItem>("count"))
            // Adds every item's n to the session's total; replies with the total.
            .method(contract::client_stream<AddRequest, Total>("sum"))
            // Each request echoed as it arrives; a message "fail:<code>" raises that code.
            .method(contract::bidi_stream<EchoRequest, EchoReply>("chat"));
    return desc;
  }

  class Session : public rpc::SessionClient {
   public:
    using SessionClient::SessionClient;
    asio::awaitable<Total> add(AddRequest r, rpc::CallOptions o = {}) {
      return unary<Total>("add", std::move(r), std::move(o));
    }
    asio::awaitable<EchoReply> echo(EchoRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("echo", std::move(r), std::move(o));
    }
    asio::awaitable<EchoReply> fail(FailRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("fail", std::move(r), std::move(o));
    }
    asio::awaitable<EchoReply> slow(SlowRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("slow", std::move(r), std::move(o));
    }
    asio::awaitable<EchoReply> crash(EchoRequest r, rpc::CallOptions o = {}) {
      return unary<EchoReply>("crash", std::move(r), std::move(o));
    }
    asio::awaitable<rpc::SessionServerStream<CountItem>> count(CountRequest r,
                                                               rpc::CallOptions o = {}) {
      return server_stream<CountItem>("count", std::move(r), std::move(o));
    }
    asio::awaitable<rpc::SessionClientStreamWriter<AddRequest, Total>> sum(
        rpc::CallOptions o = {}) {
      return client_stream<Total, AddRequest>("sum", std::move(o));
    }
    asio::awaitable<rpc::SessionBidiStream<EchoRequest, EchoReply>> chat(rpc::CallOptions o = {}) {
      return bidi<EchoReply, EchoRequest>("chat", std::move(o));
    }
  };
};

// The per-session instance.
struct SessionTestState {
  explicit SessionTestState(std::string p) : peer(std::move(p)) {}
  std::string peer;
  int64_t total = 0;
  int64_t calls = 0;
};

// Sessions whose instance was closed (on_close), for the lifecycle tests.
inline int& session_test_closed() {
  static int n = 0;
  return n;
}

inline rpc::SessionImpl<SessionTestState> make_session_test_impl() {
  using State = SessionTestState;
  rpc::SessionImpl<State> impl(SessionTest::descriptor());
  impl.unary<AddRequest, Total>(
      "add", [](State& self, AddRequest req, rpc::CallContext&) -> asio::awaitable<Result<Total>> {
        self.total += req.n;
        co_return Total{self.total, ++self.calls, self.peer};
      });
  impl.unary<EchoRequest, EchoReply>(
      "echo", [](State& self, EchoRequest req, rpc::CallContext& ctx) -> asio::awaitable<EchoReply> {
        ++self.calls;
        co_return EchoReply{std::move(req.message), std::move(req.data),
                            std::string(ctx.find_metadata("x-echo").value_or("")), ctx.peer};
      });
  impl.unary<FailRequest, EchoReply>(
      "fail", [](State& self, FailRequest req, rpc::CallContext&) -> asio::awaitable<EchoReply> {
        ++self.calls;
        throw RpcError(static_cast<StatusCode>(req.code), req.message);
        co_return EchoReply{};
      });
  impl.unary<SlowRequest, EchoReply>(
      "slow", [](State& self, SlowRequest req, rpc::CallContext&) -> asio::awaitable<EchoReply> {
        ++self.calls;
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(req.ms));
        co_await t.async_wait(asio::use_awaitable);
        co_return EchoReply{"slept", "", "", ""};
      });
  impl.unary<EchoRequest, EchoReply>(
      "crash", [](State&, EchoRequest req, rpc::CallContext&) -> asio::awaitable<EchoReply> {
        throw std::runtime_error("crashed: " + req.message);
        co_return EchoReply{};
      });
  impl.server_stream<CountRequest, CountItem>(
      "count", [](State& self, CountRequest req, rpc::CallContext&,
                  rpc::ServerWriter<CountItem>& out) -> asio::awaitable<Status> {
        ++self.calls;
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
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(item));
        }
        co_return Status::ok();
      });
  impl.client_stream<AddRequest, Total>(
      "sum", [](State& self, rpc::ServerReader<AddRequest>& in,
                rpc::CallContext&) -> asio::awaitable<Total> {
        ++self.calls;
        while (true) {
          std::optional<AddRequest> item = co_await in.next();
          if (!item) break;
          self.total += item->n;
        }
        co_return Total{self.total, self.calls, self.peer};
      });
  impl.bidi<EchoRequest, EchoReply>(
      "chat", [](State& self, rpc::ServerReader<EchoRequest>& in, rpc::CallContext& ctx,
                 rpc::ServerWriter<EchoReply>& out) -> asio::awaitable<Status> {
        ++self.calls;
        while (true) {
          std::optional<EchoRequest> item = co_await in.next();
          if (!item) break;
          if (item->message.rfind("fail:", 0) == 0) {
            co_return Status(static_cast<StatusCode>(std::stoi(item->message.substr(5))),
                             item->message);
          }
          const EchoReply reply{item->message, item->data,
                                std::string(ctx.find_metadata("x-echo").value_or("")), self.peer};
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(reply));
        }
        co_return Status::ok();
      });
  impl.on_close([](State&) { ++session_test_closed(); });
  return impl;
}

}  // namespace aster::testing
