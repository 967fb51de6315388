// Session-scoped services against the real aster-rpc 0.1.2 both ways: our producer
// (SessionImpl) called by 0.1.2's SessionStub and session proxy (py/session_test_consumer.py),
// and our SessionClient calling a 0.1.2 producer's session-scoped class
// (py/session_test_service.py served by py/rpc_test_producer.py). Rows go to the one RPC
// interop matrix (interop_matrix.hpp) under pattern "session".
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <nlohmann/json.hpp>

#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "interop_matrix.hpp"
#include "reference_peer.hpp"
#include "rpc_suites.hpp"
#include "session_test_service.hpp"

namespace aster::interop {
namespace {

using namespace aster::testing;

const char* kPyToCpp = "Python consumer → C++ producer";
const char* kCppToPy = "C++ consumer → Python producer";

// ---- Python 0.1.2 consumer → C++ producer ----------------------------------------------------

class SessionPythonConsumer : public PythonConsumerSuite<SessionPythonConsumer> {
 public:
  static constexpr const char* kConsumerScript = "session_test_consumer.py";
  static void add_services(rpc::Server& server) { server.add(make_session_test_impl()); }

 protected:
  static bool expect_ok(const std::string& c, const std::string& name) {
    auto r = result(name);
    bool ok = r.is_object() && r["ok"] == true;
    record("session", kPyToCpp, c, ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump() << "\n" << consumer_err_;
    return ok;
  }
  static void expect_code(const std::string& c, const std::string& name, int code) {
    auto r = result(name);
    bool ok = r.is_object() && r["ok"] == false && r["code"] == code;
    record("session", kPyToCpp, c, ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump() << "\n" << consumer_err_;
  }
};

TEST_F(SessionPythonConsumer, ConsumerRan) { ASSERT_TRUE(results_.is_object()) << consumer_err_; }

TEST_F(SessionPythonConsumer, StateAcrossCallsAndIsolation) {
  expect_ok("normal call (unary)", "first");
  auto state = result("state")["value"];
  bool kept = state.is_object() && state["total"] == 3 && state["calls"] == 2 &&
              state["peer"].get<std::string>().size() == 64;
  record("session", kPyToCpp, "state kept across calls", kept);
  EXPECT_TRUE(kept) << state.dump();
  auto other = result("isolated")["value"];
  bool isolated = other.is_object() && other["total"] == 1 && other["calls"] == 1;
  record("session", kPyToCpp, "two sessions isolated", isolated);
  EXPECT_TRUE(isolated) << other.dump();
}

TEST_F(SessionPythonConsumer, ServerStream) {
  if (expect_ok("normal call (server stream)", "server_stream")) {
    EXPECT_EQ(result("server_stream")["value"], nlohmann::json::array({0, 1, 2, 3, 4}));
  }
  expect_code("server stream error after 2 items", "server_stream_error", 9);
}

TEST_F(SessionPythonConsumer, ClientStreamAndBidi) {
  if (expect_ok("normal call (client stream)", "client_stream")) {
    EXPECT_EQ(result("client_stream")["value"]["total"], 63);  // 3 + 60
  }
  expect_ok("empty client stream", "client_stream_empty");
  if (expect_ok("normal call (bidi)", "bidi")) {
    EXPECT_EQ(result("bidi")["value"], nlohmann::json::array({"a!", "b!", "c!"}));
  }
  expect_code("bidi handler error", "bidi_error", 9);
  expect_ok("session kept after streaming calls", "after_streams");
}

TEST_F(SessionPythonConsumer, HandlerErrorsKeepTheSession) {
  expect_code("handler error NOT_FOUND", "error_5", 5);
  expect_code("handler error PERMISSION_DENIED", "error_7", 7);
  expect_code("handler error FAILED_PRECONDITION", "error_9", 9);
  expect_code("handler error CONTRACT_VIOLATION", "error_101", 101);
  EXPECT_EQ(result("error_7")["message"], "code 7");
  expect_code("handler exception → INTERNAL", "crash", 13);
  expect_ok("session kept after handler errors", "after_errors");
}

TEST_F(SessionPythonConsumer, PayloadsAndMetadata) {
  expect_ok("0-length payload", "empty");
  if (expect_ok("4 MiB payload", "4mib")) {
    EXPECT_EQ(result("4mib")["value"]["data_ok"], true);
  }
  if (expect_ok("over compression threshold", "compressed")) {
    EXPECT_EQ(result("compressed")["value"]["data_ok"], true);
  }
  if (expect_ok("metadata round trip", "metadata")) {
    EXPECT_EQ(result("metadata")["value"]["metadata"], "round trip");
  }
}

TEST_F(SessionPythonConsumer, DeadlineAndCancel) {
  auto d = result("deadline")["value"];
  bool deadline = d.is_object() && d["code"] == 4;
  record("session", kPyToCpp, "deadline exceeded (CallHeader deadline)", deadline);
  EXPECT_TRUE(deadline) << result("deadline").dump();
  expect_ok("session kept after deadline", "after_deadline");
  expect_ok("CANCEL between calls (SessionStub.cancel)", "cancel_idle");
  expect_code("CANCEL mid unary call", "cancel_unary", 1);
  expect_code("CANCEL mid server stream", "cancel_stream", 1);
  expect_ok("session kept after cancel", "after_cancel");
}

TEST_F(SessionPythonConsumer, UnknownMethodEndsTheSession) {
  expect_code("unknown method", "unknown_method", 12);
  // 0.1.2's SessionStub then fails on the write (the producer stopped reading the stream).
  auto after = result("after_unknown_method");
  bool ended = after.is_object() && after["ok"] == false;
  record("session", kPyToCpp, "session ended after unknown method", ended);
  EXPECT_TRUE(ended) << after.dump();
  auto lookup = result("unknown_service");
  bool lookup_ok = lookup.is_object() && lookup["kind"] == "LookupError";
  record("session", kPyToCpp, "unknown service (LookupError)", lookup_ok);
  EXPECT_TRUE(lookup_ok) << lookup.dump();
}

TEST_F(SessionPythonConsumer, JsonSessionProxy) {
  expect_ok("JSON mode (AsterClient.session proxy)", "json_first");
  auto s = result("json_state")["value"];
  bool kept = s.is_object() && s["total"] == 5 && s["calls"] == 2;
  record("session", kPyToCpp, "JSON mode state kept", kept);
  EXPECT_TRUE(kept) << s.dump();
  expect_code("JSON mode handler error", "json_error", 7);
}

// ---- C++ consumer → Python 0.1.2 producer ---------------------------------------------------

class SessionCppConsumer : public PythonProducerSuite<SessionCppConsumer> {
 public:
  static constexpr const char* kProducerScript = "rpc_test_producer.py";
};

TEST_F(SessionCppConsumer, StateAcrossCallsAndIsolation) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto s = co_await client.session<SessionTest>();
    AddRequest one{1};
    auto t1 = co_await s.add(std::move(one));
    record("session", kCppToPy, "normal call (unary)", t1.total == 1);
    AddRequest two{2};
    auto t2 = co_await s.add(std::move(two));
    bool kept = t2.total == 3 && t2.calls == 2 && t2.peer.size() == 64;
    record("session", kCppToPy, "state kept across calls", kept);
    EXPECT_TRUE(kept) << t2.total << " " << t2.calls << " " << t2.peer;
    auto other = co_await client.session<SessionTest>();
    AddRequest ten{10};
    auto t3 = co_await other.add(std::move(ten));
    record("session", kCppToPy, "two sessions isolated", t3.total == 10 && t3.calls == 1);
    EXPECT_EQ(t3.total, 10);
    co_await other.close();
    co_await s.close();
  });
}

TEST_F(SessionCppConsumer, ServerStream) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto s = co_await client.session<SessionTest>();
    CountRequest five{5, -1, 0};
    auto items = co_await s.count(std::move(five));
    std::vector<int64_t> got;
    while (auto item = co_await items.next()) got.push_back(item->i);
    record("session", kCppToPy, "normal call (server stream)",
           got == std::vector<int64_t>{0, 1, 2, 3, 4});
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 3, 4}));
    CountRequest failing{10, 2, 0};
    auto partial = co_await s.count(std::move(failing));
    std::vector<int64_t> before_error;
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (auto item = co_await partial.next()) before_error.push_back(item->i);
    });
    bool ok = st.code() == StatusCode::kFailedPrecondition &&
              before_error == std::vector<int64_t>{0, 1};
    record("session", kCppToPy, "server stream error after 2 items", ok);
    EXPECT_TRUE(ok) << st.to_string();
    co_await s.close();
  });
}

TEST_F(SessionCppConsumer, ClientStreamAndBidi) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto s = co_await client.session<SessionTest>();
    auto up = co_await s.sum();
    for (int64_t n : {10, 20, 30}) {
      AddRequest item{n};
      co_await up.write(item);
    }
    auto total = co_await up.finish();
    record("session", kCppToPy, "normal call (client stream)", total.total == 60);
    EXPECT_EQ(total.total, 60);
    rpc::CallOptions o;
    o.metadata.emplace_back("x-echo", "!");
    auto chat = co_await s.chat(o);
    std::vector<std::string> got;
    for (const char* m : {"a", "b", "c"}) {
      EchoRequest req{m, ""};
      co_await chat.write(req);
    }
    co_await chat.done_writing();
    while (true) {
      std::optional<EchoReply> reply = co_await chat.next();
      if (!reply) break;
      got.push_back(reply->message + reply->metadata);
    }
    bool bidi_ok = got == std::vector<std::string>{"a!", "b!", "c!"};
    record("session", kCppToPy, "normal call (bidi)", bidi_ok);
    EXPECT_TRUE(bidi_ok);
    // Cancel a client stream in the middle of its input.
    auto cancelled = co_await s.sum();
    AddRequest one{1};
    co_await cancelled.write(one);
    co_await cancelled.cancel();
    AddRequest zero{0};
    auto after = co_await s.add(std::move(zero));
    record("session", kCppToPy, "CANCEL mid client stream, session kept", after.total == 60);
    EXPECT_EQ(after.total, 60);
    co_await s.close();
    // A failing bidi handler, in a session of its own: 0.1.2 may end the session when the
    // handler fails before its reader took our end of input (session.py
    // `_dispatch_bidi_stream` leaves it queued, then "Expected CALL frame").
    auto s2 = co_await client.session<SessionTest>();
    auto failing = co_await s2.chat();
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      for (const char* m : {"a", "fail:9"}) {
        EchoRequest req{m, ""};
        co_await failing.write(req);
      }
      co_await failing.done_writing();
      while (true) {
        std::optional<EchoReply> reply = co_await failing.next();
        if (!reply) break;
      }
    });
    record("session", kCppToPy, "bidi handler error", st.code() == StatusCode::kFailedPrecondition);
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.to_string();
    co_await s2.close();
  });
}

TEST_F(SessionCppConsumer, HandlerErrorsKeepTheSession) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto s = co_await client.session<SessionTest>();
    const std::pair<int, const char*> cases[] = {
        {5, "NOT_FOUND"}, {7, "PERMISSION_DENIED"}, {9, "FAILED_PRECONDITION"},
        {101, "CONTRACT_VIOLATION"}};
    for (const auto& [code, name] : cases) {
      const int c = code;
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        FailRequest req{c, "code " + std::to_string(c)};
        co_await s.fail(std::move(req));
      });
      bool ok = static_cast<int>(st.code()) == c && st.message() == "code " + std::to_string(c);
      record("session", kCppToPy, std::string("handler error ") + name, ok);
      EXPECT_TRUE(ok) << st.to_string();
    }
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      EchoRequest req{"x", ""};
      co_await s.crash(std::move(req));
    });
    bool internal = st.code() == StatusCode::kInternal && st.message() == "crashed: x";
    record("session", kCppToPy, "handler exception → INTERNAL", internal);
    EXPECT_TRUE(internal) << st.to_string();
    AddRequest zero{0};
    auto t = co_await s.add(std::move(zero));
    record("session", kCppToPy, "session kept after handler errors", t.calls == 5);
    EXPECT_EQ(t.calls, 5);
    co_await s.close();
  });
}

TEST_F(SessionCppConsumer, PayloadsAndMetadata) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto s = co_await client.session<SessionTest>();
    EchoRequest empty{};
    auto e = co_await s.echo(std::move(empty));
    record("session", kCppToPy, "0-length payload", e.message.empty() && e.data.empty());
    std::string big(4u << 20, 'q');
    for (size_t i = 0; i < big.size(); i += 101) big[i] = static_cast<char>('a' + i % 26);
    EchoRequest large{"big", big};
    auto b = co_await s.echo(std::move(large));
    record("session", kCppToPy, "4 MiB payload", b.data == big);
    EXPECT_EQ(b.data, big);
    EchoRequest compressible{"c", std::string(10000, 'z')};
    auto c = co_await s.echo(std::move(compressible));
    record("session", kCppToPy, "over compression threshold", c.data == std::string(10000, 'z'));
    rpc::CallOptions o;
    o.metadata.emplace_back("x-echo", "round trip");
    EchoRequest m{"m", ""};
    auto md = co_await s.echo(std::move(m), o);
    record("session", kCppToPy, "metadata round trip", md.metadata == "round trip");
    EXPECT_EQ(md.metadata, "round trip");
    co_await s.close();
  });
}

TEST_F(SessionCppConsumer, DeadlineAndCancel) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto s = co_await client.session<SessionTest>();
    rpc::CallOptions d;
    d.timeout = std::chrono::milliseconds(300);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      SlowRequest slow{5000};
      co_await s.slow(std::move(slow), d);
    });
    record("session", kCppToPy, "deadline exceeded (CallHeader deadline)",
           st.code() == StatusCode::kDeadlineExceeded);
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.to_string();
    AddRequest zero{0};
    auto after = co_await s.add(std::move(zero));
    record("session", kCppToPy, "session kept after deadline", after.calls == 2);
    // CANCEL mid unary call, from another coroutine.
    auto ex = co_await asio::this_coro::executor;
    Status slow_status;
    bool slow_done = false;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          slow_status = co_await status_of_call([&]() -> asio::awaitable<void> {
            SlowRequest slow{60000};
            co_await s.slow(std::move(slow));
          });
          slow_done = true;
        },
        asio::detached);
    asio::steady_timer t(ex, std::chrono::milliseconds(300));
    co_await t.async_wait(asio::use_awaitable);
    co_await s.cancel();
    while (!slow_done) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::use_awaitable);
    }
    record("session", kCppToPy, "CANCEL mid unary call", slow_status.code() == StatusCode::kCancelled);
    EXPECT_EQ(slow_status.code(), StatusCode::kCancelled) << slow_status.to_string();
    // CANCEL mid server stream.
    CountRequest endless{1000000, -1, 1};
    auto items = co_await s.count(std::move(endless));
    auto first = co_await items.next();
    co_await items.cancel();
    record("session", kCppToPy, "CANCEL mid server stream", first && first->i == 0);
    AddRequest again{0};
    auto kept = co_await s.add(std::move(again));
    record("session", kCppToPy, "session kept after cancel", kept.calls == 5);
    EXPECT_EQ(kept.calls, 5);
    co_await s.close();
  });
}

TEST_F(SessionCppConsumer, UnknownMethodAndRawSession) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    static const contract::ServiceDesc wider =
        contract::ServiceDesc("SessionTest")
            .version(1)
            .scope(contract::ScopeKind::kSession)
            .method(contract::unary<AddRequest, Total>("nope"));
    auto raw = co_await client.session(wider);
    auto add = Value::make_struct("test.session/AddRequest", {{"n", int64_t{1}}});
    auto r = co_await raw.unary("nope", add);
    record("session", kCppToPy, "unknown method", r.status().code() == StatusCode::kUnimplemented);
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented) << r.status().to_string();
    auto after = co_await raw.unary("nope", add);
    record("session", kCppToPy, "session ended after unknown method",
           after.status().code() == StatusCode::kUnavailable);
    EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << after.status().to_string();

    static const contract::ServiceDesc missing =
        contract::ServiceDesc("MissingSession")
            .version(1)
            .scope(contract::ScopeKind::kSession)
            .method(contract::unary<AddRequest, Total>("add"));
    bool lookup = false;
    try {
      (void)co_await client.session(missing);
    } catch (const LookupError&) {
      lookup = true;
    }
    record("session", kCppToPy, "unknown service (LookupError)", lookup);
    EXPECT_TRUE(lookup);

    auto by_name = co_await client.session(SessionTest::descriptor());
    (void)co_await by_name.unary("add", add);
    auto two = co_await by_name.unary("add", add);
    bool ok = two.is_ok() && two->as_struct().find("total")->as_int() == 2;
    record("session", kCppToPy, "raw session (aster::Value, by name)", ok);
    EXPECT_TRUE(ok) << two.status().to_string();
    (void)co_await by_name.close();
  });
}

}  // namespace
}  // namespace aster::interop
