// Gate 3 (rpc/capability.hpp): `requires` on services and methods against the caller's
// admission attributes, as 0.1.2's CapabilityInterceptor decides
// (aster-rpc@0972ac9:bindings/python/aster/interceptors/capability.py, trust/rcan.py), and the
// Dispatcher refusing such calls with PERMISSION_DENIED before their handler runs, on every
// pattern and inside a session (where the session goes on).
#include <gtest/gtest.h>

#include "aster/rpc/capability.hpp"
#include "aster/rpc/dispatcher.hpp"
#include "aster/rpc/raw_transport.hpp"
#include "aster/transport/memory_pipe.hpp"
#include "aster/wire/frame.hpp"
#include "coroutine_test_support.hpp"
#include "rpc_pipe_channel.hpp"
#include "session_test_service.hpp"

namespace {

using namespace aster::testing;
using aster::Status;
using aster::StatusCode;
using aster::Value;
using aster::contract::CapabilityKind;
using aster::contract::CapabilityRequirement;
using aster::rpc::PeerAttributes;
namespace contract = aster::contract;
namespace rpc = aster::rpc;

const PeerAttributes kOps = {{"aster.name", "ops"}, {"aster.role", " ops.status, ops.logs ,,"}};

TEST(Capability, RolesAreTheTrimmedCommaSeparatedRoleAttribute) {
  EXPECT_EQ(rpc::caller_roles(kOps), (std::set<std::string>{"ops.status", "ops.logs"}));
  EXPECT_TRUE(rpc::caller_roles({}).empty());
  EXPECT_TRUE(rpc::caller_roles({{"aster.role", " , "}}).empty());
  // Only aster.role counts: aster.name is not a capability.
  EXPECT_FALSE(rpc::satisfies(CapabilityRequirement::role("ops"), kOps));
}

TEST(Capability, KindsDecideAs012) {
  EXPECT_TRUE(rpc::satisfies(CapabilityRequirement::role("ops.status"), kOps));
  EXPECT_FALSE(rpc::satisfies(CapabilityRequirement::role("ops.admin"), kOps));
  // ROLE reads only its first role (trust/rcan.py `requirement.roles[0]`).
  EXPECT_FALSE(rpc::satisfies(CapabilityRequirement{CapabilityKind::kRole, {"x", "ops.status"}}, kOps));
  EXPECT_TRUE(rpc::satisfies(CapabilityRequirement::any_of({"ops.admin", "ops.logs"}), kOps));
  EXPECT_FALSE(rpc::satisfies(CapabilityRequirement::any_of({"ops.admin", "ops.ingest"}), kOps));
  EXPECT_TRUE(rpc::satisfies(CapabilityRequirement::all_of({"ops.status", "ops.logs"}), kOps));
  EXPECT_FALSE(rpc::satisfies(CapabilityRequirement::all_of({"ops.status", "ops.admin"}), kOps));
  // No roles demanded: always holds, even with no attributes at all.
  for (auto kind : {CapabilityKind::kRole, CapabilityKind::kAnyOf, CapabilityKind::kAllOf}) {
    EXPECT_TRUE(rpc::satisfies(CapabilityRequirement{kind, {}}, {}));
  }
  // An open gate grants nothing, so any role is refused.
  EXPECT_FALSE(rpc::satisfies(CapabilityRequirement::role("ops.status"), {}));
}

TEST(Capability, ServiceLevelThenMethodLevelWithTheMessagesOf012) {
  contract::ServiceDesc desc =
      contract::ServiceDesc("Ops")
          .requires_capability(CapabilityRequirement::role("ops.status"))
          .method(contract::unary<EchoRequest, EchoReply>("plain"))
          .method(contract::unary<EchoRequest, EchoReply>("admin").requires_capability(
              CapabilityRequirement::role("ops.admin")));
  const auto* plain = desc.find_method("plain");
  const auto* admin = desc.find_method("admin");
  EXPECT_TRUE(rpc::check_capabilities(desc, plain, kOps).is_ok());
  Status denied = rpc::check_capabilities(desc, admin, kOps);
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "capability check failed for method 'Ops.admin'");
  denied = rpc::check_capabilities(desc, admin, {});
  EXPECT_EQ(denied.message(), "capability check failed for service 'Ops'");
}

// Mission Control's roles (upstream examples/python/mission_control/services_auth.py), one
// method per pattern; every handler answers with the caller's aster.role.
const contract::ServiceDesc& gated_service() {
  static const contract::ServiceDesc desc =
      contract::ServiceDesc("Gated")
          .method(contract::unary<EchoRequest, EchoReply>("open"))
          .method(contract::unary<EchoRequest, EchoReply>("status").requires_capability(
              CapabilityRequirement::role("ops.status")))
          .method(contract::server_stream<EchoRequest, EchoReply>("logs").requires_capability(
              CapabilityRequirement::any_of({"ops.logs", "ops.admin"})))
          .method(contract::client_stream<EchoRequest, EchoReply>("ingest").requires_capability(
              CapabilityRequirement::role("ops.ingest")))
          .method(contract::bidi_stream<EchoRequest, EchoReply>("admin").requires_capability(
              CapabilityRequirement::role("ops.admin")));
  return desc;
}

int& gated_handler_runs() {
  static int n = 0;
  return n;
}

EchoReply role_reply(const rpc::CallContext& ctx) {
  ++gated_handler_runs();
  auto role = ctx.attributes.find("aster.role");
  return EchoReply{role == ctx.attributes.end() ? "" : role->second, "", "", ctx.peer};
}

rpc::ServiceImpl make_gated_impl() {
  rpc::ServiceImpl impl(gated_service());
  for (const char* name : {"open", "status"}) {
    impl.unary<EchoRequest, EchoReply>(
        name, [](EchoRequest, rpc::CallContext& ctx) -> asio::awaitable<EchoReply> {
          co_return role_reply(ctx);
        });
  }
  impl.server_stream<EchoRequest, EchoReply>(
      "logs", [](EchoRequest, rpc::CallContext& ctx,
                 rpc::ServerWriter<EchoReply>& out) -> asio::awaitable<Status> {
        const EchoReply reply = role_reply(ctx);
        co_return co_await out.write(reply);
      });
  impl.client_stream<EchoRequest, EchoReply>(
      "ingest", [](rpc::ServerReader<EchoRequest>& in,
                   rpc::CallContext& ctx) -> asio::awaitable<EchoReply> {
        while (co_await in.next()) {
        }
        co_return role_reply(ctx);
      });
  impl.bidi<EchoRequest, EchoReply>(
      "admin", [](rpc::ServerReader<EchoRequest>& in, rpc::CallContext& ctx,
                  rpc::ServerWriter<EchoReply>& out) -> asio::awaitable<Status> {
        while (co_await in.next()) {
          const EchoReply reply = role_reply(ctx);
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(reply));
        }
        co_return Status::ok();
      });
  return impl;
}

Value echo_value(std::string message) {
  return Value::make_struct("test.rpc/EchoRequest", {{"message", std::move(message)}, {"data", ""}});
}

std::string message_of(const Value& v) { return v.as_struct().find("message")->as_string(); }

TEST(Capability, ALoopsKeptRouteStillJudgesEveryCallsAttributes) {
  // aster::Server's call loops keep a unary call's route from call to call
  // (Dispatcher::UnaryCall::memo, for a kept header); the peer's attributes are still looked up
  // and judged for each call, so an admission that lapses mid-connection refuses the next call
  // (as in 0.1.2), and a registration made meanwhile is routed afresh.
  rpc::Dispatcher dispatcher;
  ASSERT_TRUE(dispatcher.add(make_gated_impl()).is_ok());
  PeerAttributes granted = kOps;
  dispatcher.set_attribute_lookup([&](const std::string&) { return granted; });
  std::vector<uint8_t> scratch;
  const rpc::CallTarget target{"Gated", 1, "status", false};
  auto header = rpc::header_frame(target, "", {}, scratch);
  ASSERT_TRUE(header.is_ok());
  std::vector<uint8_t> frames(header->begin(), header->end());
  const EchoRequest request{"x", ""};
  auto payload = rpc::encode_payload(request, false);
  ASSERT_TRUE(payload.is_ok());
  ASSERT_TRUE(aster::wire::append_frame(frames, 0, *payload).is_ok());
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    rpc::Dispatcher::UnaryCall call;  // one per loop, kept across its calls
    auto take = [&](bool* taken) -> asio::awaitable<void> {
      auto [client, server] = aster::transport::make_memory_pipe(io.get_executor(), 1 << 20);
      Status sent = co_await client->write_and_finish(frames);
      EXPECT_TRUE(sent.is_ok());
      *taken = dispatcher.take_whole_unary(*server, "peer-1", call);
    };
    bool taken = false;
    for (int i = 0; i < 3; ++i) {  // the header is kept after the first, routed and memoized
      co_await take(&taken);
      EXPECT_TRUE(taken) << i;
    }
    const uint64_t memo_routes = call.memo.routes;
    EXPECT_NE(memo_routes, 0u);
    EXPECT_EQ(call.ctx.attributes, kOps);
    granted = {};  // the admission lapsed: the kept route does not let the call through
    co_await take(&taken);
    EXPECT_FALSE(taken);
    granted = kOps;
    co_await take(&taken);
    EXPECT_TRUE(taken);
    EXPECT_EQ(call.ctx.method, "status");
    EXPECT_EQ(call.ctx.peer, "peer-1");
    // A registration changes the dispatcher's routes: the next call is routed again.
    static const contract::ServiceDesc other("Other");
    EXPECT_TRUE(dispatcher.add(rpc::ServiceImpl(other)).is_ok());
    co_await take(&taken);
    EXPECT_TRUE(taken);
    EXPECT_NE(call.memo.routes, memo_routes);
  });
}

class CapabilityDispatch : public ::testing::TestWithParam<bool> {};  // param: JSON mode

TEST_P(CapabilityDispatch, EveryPatternIsRefusedBeforeItsHandlerAndAttributesReachTheContext) {
  rpc::Dispatcher dispatcher;
  ASSERT_TRUE(dispatcher.add(make_gated_impl()).is_ok());
  std::vector<std::string> looked_up;
  dispatcher.set_attribute_lookup([&](const std::string& peer) {
    looked_up.push_back(peer);
    return kOps;
  });
  gated_handler_runs() = 0;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto channel = std::make_shared<PipeChannel>(io.get_executor(), dispatcher);
    rpc::RawTransport raw(channel, gated_service(), 1, GetParam());
    auto open = co_await raw.unary("open", echo_value("a"));
    EXPECT_TRUE(open.is_ok()) << open.status().to_string();
    if (open.is_ok()) { EXPECT_EQ(message_of(*open), " ops.status, ops.logs ,,"); }
    auto status = co_await raw.unary("status", echo_value("b"));
    EXPECT_TRUE(status.is_ok()) << status.status().to_string();
    auto logs = co_await raw.server_stream("logs", echo_value("c"));
    EXPECT_TRUE(logs.is_ok());
    if (logs.is_ok()) {
      auto item = co_await logs->next();
      EXPECT_TRUE(item.is_ok() && item->has_value());
    }
    // Lacking ops.ingest: the client stream is refused whatever it sends.
    auto ingest = co_await raw.client_stream("ingest");
    if (ingest.is_ok()) {
      (void)co_await ingest->write(echo_value("d"));
      auto done = co_await ingest->finish();
      EXPECT_EQ(done.status().code(), StatusCode::kPermissionDenied);
      EXPECT_EQ(done.status().message(), "capability check failed for method 'Gated.ingest'");
    }
    auto admin = co_await raw.bidi("admin");
    if (admin.is_ok()) {
      (void)co_await admin->write(echo_value("e"));
      (void)co_await admin->done_writing();
      auto reply = co_await admin->next();
      EXPECT_EQ(reply.status().code(), StatusCode::kPermissionDenied);
      EXPECT_EQ(reply.status().message(), "capability check failed for method 'Gated.admin'");
    }
  });
  EXPECT_EQ(gated_handler_runs(), 3);  // open, status, logs
  EXPECT_EQ(looked_up.size(), 5u);     // once per call
  EXPECT_EQ(looked_up.front(), "peer-under-test");
}

TEST_P(CapabilityDispatch, WithoutAdmissionAttributesEveryRequirementIsRefused) {
  rpc::Dispatcher dispatcher;  // no lookup: an open gate
  ASSERT_TRUE(dispatcher.add(make_gated_impl()).is_ok());
  gated_handler_runs() = 0;
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    auto channel = std::make_shared<PipeChannel>(io.get_executor(), dispatcher);
    rpc::RawTransport raw(channel, gated_service(), 1, GetParam());
    auto open = co_await raw.unary("open", echo_value("a"));
    EXPECT_TRUE(open.is_ok());
    auto status = co_await raw.unary("status", echo_value("b"));
    EXPECT_EQ(status.status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(status.status().message(), "capability check failed for method 'Gated.status'");
    auto logs = co_await raw.server_stream("logs", echo_value("c"));
    Status logs_status = logs.status();
    if (logs.is_ok()) logs_status = (co_await logs->next()).status();
    EXPECT_EQ(logs_status.code(), StatusCode::kPermissionDenied);
  });
  EXPECT_EQ(gated_handler_runs(), 1);
}

// A session-scoped service: refused calls get their trailer and the session serves the next
// call (0.1.2 ends the session there, reading the refused call's request as a stray frame).
const contract::ServiceDesc& gated_session() {
  static const contract::ServiceDesc desc =
      contract::ServiceDesc("GatedSession")
          .scope(contract::ScopeKind::kSession)
          .method(contract::unary<AddRequest, Total>("add").requires_capability(
              CapabilityRequirement::role("ops.ingest")))
          .method(contract::unary<AddRequest, Total>("peek"))
          .method(contract::client_stream<AddRequest, Total>("sum").requires_capability(
              CapabilityRequirement::role("ops.admin")))
          .method(contract::bidi_stream<AddRequest, Total>("chat").requires_capability(
              CapabilityRequirement::all_of({"ops.status", "ops.admin"})));
  return desc;
}

rpc::SessionImpl<SessionTestState> make_gated_session_impl() {
  using State = SessionTestState;
  rpc::SessionImpl<State> impl(gated_session());
  impl.unary<AddRequest, Total>(
      "add", [](State& self, AddRequest req, rpc::CallContext&) -> asio::awaitable<Total> {
        self.total += req.n;
        co_return Total{self.total, ++self.calls, self.peer};
      });
  impl.unary<AddRequest, Total>(
      "peek", [](State& self, AddRequest, rpc::CallContext& ctx) -> asio::awaitable<Total> {
        co_return Total{self.total, ++self.calls, ctx.attributes.at("aster.role")};
      });
  impl.client_stream<AddRequest, Total>(
      "sum", [](State& self, rpc::ServerReader<AddRequest>& in,
                rpc::CallContext&) -> asio::awaitable<Total> {
        while (auto item = co_await in.next()) self.total += item->n;
        co_return Total{self.total, ++self.calls, self.peer};
      });
  impl.bidi<AddRequest, Total>(
      "chat", [](State& self, rpc::ServerReader<AddRequest>& in, rpc::CallContext&,
                 rpc::ServerWriter<Total>& out) -> asio::awaitable<Status> {
        while (auto item = co_await in.next()) {
          self.total += item->n;
          const Total t{self.total, ++self.calls, self.peer};
          ASTER_CO_RETURN_IF_ERROR(co_await out.write(t));
        }
        co_return Status::ok();
      });
  return impl;
}

TEST_P(CapabilityDispatch, InASessionEachCallIsCheckedAndTheSessionGoesOn) {
  rpc::Dispatcher dispatcher;
  ASSERT_TRUE(dispatcher.add(make_gated_session_impl()).is_ok());
  dispatcher.set_attribute_lookup([](const std::string&) { return kOps; });
  run_coroutine_test([&](asio::io_context& io) -> asio::awaitable<void> {
    PipeChannel channel(io.get_executor(), dispatcher);
    auto session = co_await rpc::RawSession::open(channel, gated_session(), 1, GetParam());
    EXPECT_TRUE(session.is_ok()) << session.status().to_string();
    if (!session.is_ok()) co_return;
    auto add = Value::make_struct("test.session/AddRequest", {{"n", int64_t{4}}});
    auto total_of = [](const Value& v) { return v.as_struct().find("total")->as_int(); };
    auto refused = co_await session->unary("add", add);
    EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(refused.status().message(), "capability check failed for method 'GatedSession.add'");
    auto peek = co_await session->unary("peek", add);
    EXPECT_TRUE(peek.is_ok()) << peek.status().to_string();
    if (peek.is_ok()) {
      EXPECT_EQ(total_of(*peek), 0);
      EXPECT_EQ(peek->as_struct().find("peer")->as_string(), " ops.status, ops.logs ,,");
    }
    auto sum = co_await session->client_stream("sum");
    EXPECT_TRUE(sum.is_ok());
    if (sum.is_ok()) {
      (void)co_await sum->write(add);
      (void)co_await sum->write(add);
      auto done = co_await sum->finish();
      EXPECT_EQ(done.status().code(), StatusCode::kPermissionDenied);
    }
    auto chat = co_await session->bidi("chat");
    EXPECT_TRUE(chat.is_ok());
    if (chat.is_ok()) {
      (void)co_await chat->write(add);
      (void)co_await chat->done_writing();
      auto reply = co_await chat->next();
      EXPECT_EQ(reply.status().code(), StatusCode::kPermissionDenied);
      EXPECT_EQ(reply.status().message(), "capability check failed for method 'GatedSession.chat'");
    }
    // Nothing refused touched the state, and the session still serves.
    auto again = co_await session->unary("peek", add);
    EXPECT_TRUE(again.is_ok()) << again.status().to_string();
    if (again.is_ok()) { EXPECT_EQ(total_of(*again), 0); }
    EXPECT_TRUE((co_await session->close()).is_ok());
  });
}

INSTANTIATE_TEST_SUITE_P(Modes, CapabilityDispatch, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Json" : "Fory"; });

}  // namespace
