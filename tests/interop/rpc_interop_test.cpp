// The RPC runtime against the real aster-rpc 0.1.2 both ways, for unary and server-stream
// calls: our C++ producer (aster::Server) called by 0.1.2's typed Python consumer
// (py/rpc_test_consumer.py), and our C++ consumer (aster::Client) calling a 0.1.2 producer
// (py/rpc_test_producer.py, py/hello_producer.py). Prints the interop matrix at the end.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "interop_matrix.hpp"
#include "reference_peer.hpp"
#include "hello_service.hpp"
#include "rpc_test_service.hpp"

namespace aster::interop {
namespace {

using aster::testing::CountItem;
using aster::testing::CountRequest;
using aster::testing::EchoReply;
using aster::testing::EchoRequest;
using aster::testing::FailRequest;
using aster::testing::RpcTest;
using aster::testing::SlowRequest;


// ---- Python 0.1.2 consumer → C++ producer ----------------------------------------------------

class PythonConsumerCppProducer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runtime_ = transport::BlockingRuntime::create().value().release();
    rpc::ServerOptions options;
    options.bind_v4 = "127.0.0.1:0";
    server_ = new rpc::Server(runtime_->runtime(), options);
    server_->add(aster::testing::make_rpc_test_impl());
    Status started = runtime_->run(server_->start());
    ASSERT_TRUE(started.is_ok()) << started.to_string();
    asio::co_spawn(runtime_->io(), server_->serve(), asio::detached);
    auto r = run_command({reference_python(),
                          std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/rpc_test_consumer.py",
                          server_->address()},
                         std::chrono::seconds(180));
    consumer_err_ = r.err;
    if (r.exit_code == 0) results_ = nlohmann::json::parse(r.out, nullptr, false);
  }
  static void TearDownTestSuite() {
    if (runtime_ && server_) runtime_->run(server_->close());
    delete server_;
    server_ = nullptr;
    delete runtime_;
    runtime_ = nullptr;
  }
  static const nlohmann::json& result(const std::string& name) {
    static const nlohmann::json none;
    if (!results_.is_object() || !results_.contains(name)) return none;
    return results_[name];
  }
  static void expect_ok(const std::string& pattern, const std::string& c,
                        const std::string& name) {
    const auto& r = result(name);
    bool ok = r.is_object() && r["ok"] == true;
    record(pattern, "Python consumer → C++ producer", c, ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump() << "\n" << consumer_err_;
  }
  static void expect_code(const std::string& pattern, const std::string& c,
                          const std::string& name, int code) {
    const auto& r = result(name);
    bool ok = r.is_object() && r["ok"] == false && r["code"] == code;
    record(pattern, "Python consumer → C++ producer", c, ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump() << "\n" << consumer_err_;
  }
  static transport::BlockingRuntime* runtime_;
  static rpc::Server* server_;
  static nlohmann::json results_;
  static std::string consumer_err_;
};
transport::BlockingRuntime* PythonConsumerCppProducer::runtime_ = nullptr;
rpc::Server* PythonConsumerCppProducer::server_ = nullptr;
nlohmann::json PythonConsumerCppProducer::results_;
std::string PythonConsumerCppProducer::consumer_err_;

TEST_F(PythonConsumerCppProducer, ConsumerRan) {
  ASSERT_TRUE(results_.is_object()) << consumer_err_;
}

TEST_F(PythonConsumerCppProducer, Unary) {
  expect_ok("unary", "normal call", "unary");
  EXPECT_EQ(result("unary")["value"]["message"], "hello");
  // The peer id our producer saw is the Python consumer's endpoint id (64 hex).
  EXPECT_EQ(result("unary")["value"]["peer"].get<std::string>().size(), 64u);
  expect_ok("unary", "0-length payload", "unary_empty");
  expect_ok("unary", "4 MiB payload", "unary_4mib");
  EXPECT_EQ(result("unary_4mib")["value"]["data_ok"], true);
  expect_ok("unary", "over compression threshold", "unary_compressed");
  EXPECT_EQ(result("unary_compressed")["value"]["data_ok"], true);
  expect_ok("unary", "metadata round trip", "metadata");
  EXPECT_EQ(result("metadata")["value"]["metadata"], "round trip");
  expect_code("unary", "handler error NOT_FOUND", "error_5", 5);
  expect_code("unary", "handler error PERMISSION_DENIED", "error_7", 7);
  expect_code("unary", "handler error FAILED_PRECONDITION", "error_9", 9);
  expect_code("unary", "handler error CONTRACT_VIOLATION", "error_101", 101);
  EXPECT_EQ(result("error_7")["message"], "code 7");
  expect_code("unary", "deadline exceeded", "deadline", 4);
  expect_ok("unary", "within deadline", "slow_ok");
  expect_code("unary", "unknown method", "unknown_method", 12);
  const auto& lookup = result("unknown_service");
  bool lookup_ok = lookup.is_object() && lookup["kind"] == "LookupError";
  record("unary", "Python consumer → C++ producer", "unknown service (LookupError)", lookup_ok);
  EXPECT_TRUE(lookup_ok) << lookup.dump();
}

TEST_F(PythonConsumerCppProducer, ServerStream) {
  expect_ok("server stream", "normal call", "server_stream");
  EXPECT_EQ(result("server_stream")["value"], nlohmann::json::array({0, 1, 2, 3, 4}));
  expect_ok("server stream", "empty stream", "server_stream_empty");
  const auto& partial = result("server_stream_error");
  bool ok = partial.is_object() && partial["code"] == 9 &&
            partial["value"] == nlohmann::json::array({0, 1});
  record("server stream", "Python consumer → C++ producer", "error after 2 items", ok);
  EXPECT_TRUE(ok) << partial.dump();
  expect_ok("server stream", "cancel mid-stream", "server_stream_cancel");
  expect_ok("server stream", "producer serves on after cancel", "after_cancel");
  expect_code("server stream", "deadline exceeded", "server_stream_deadline", 4);
}

TEST_F(PythonConsumerCppProducer, JsonModeThroughTheProxy) {
  expect_ok("unary", "JSON mode (proxy)", "json_unary");
  EXPECT_EQ(result("json_unary")["value"]["message"], "json");
  EXPECT_EQ(result("json_unary")["value"]["data"], "d");
  // 0.1.2 writes handler errors as Fory trailers on JSON streams; its JSON client falls back.
  expect_code("unary", "JSON mode handler error", "json_error", 7);
  expect_ok("server stream", "JSON mode (proxy)", "json_server_stream");
  EXPECT_EQ(result("json_server_stream")["value"].size(), 3u);
}

TEST_F(PythonConsumerCppProducer, AsterCallOfAsterCli) {
  const std::string venv = std::getenv("ASTER_REFERENCE_VENV") ? std::getenv("ASTER_REFERENCE_VENV") : "";
  ASSERT_FALSE(venv.empty());
  auto r = run_command({venv + "/bin/aster", "call", server_->address(), "RpcTest.echo",
                        R"({"message": "from aster call", "data": ""})"},
                       std::chrono::seconds(120));
  bool ok = r.exit_code == 0 && r.out.find("\"message\": \"from aster call\"") != std::string::npos;
  record("unary", "aster call (aster-cli 0.1.2) → C++ producer", "normal call", ok);
  EXPECT_TRUE(ok) << r.out << r.err;
  auto e = run_command({venv + "/bin/aster", "call", server_->address(), "RpcTest.fail",
                        R"({"code": 5, "message": "gone"})"},
                       std::chrono::seconds(120));
  bool err_ok = e.exit_code == 1 && e.err.find("Error: ") == 0;
  record("unary", "aster call (aster-cli 0.1.2) → C++ producer", "handler error", err_ok);
  EXPECT_TRUE(err_ok) << e.out << e.err;
}

// ---- C++ consumer → Python 0.1.2 producer ---------------------------------------------------

class CppConsumerPythonProducer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = new ReferencePeer("rpc_test_producer.py", {});
    runtime_ = transport::BlockingRuntime::create().value().release();
  }
  static void TearDownTestSuite() {
    delete runtime_;
    runtime_ = nullptr;
    delete peer_;
    peer_ = nullptr;
  }
  template <typename F>
  static void run(F body) {
    runtime_->run([&]() -> asio::awaitable<void> {
      rpc::Client client(runtime_->runtime(), peer_->ready_info()["ticket"]);
      co_await client.connect();
      co_await body(client);
      client.close();
    }());
  }
  static ReferencePeer* peer_;
  static transport::BlockingRuntime* runtime_;
};
ReferencePeer* CppConsumerPythonProducer::peer_ = nullptr;
transport::BlockingRuntime* CppConsumerPythonProducer::runtime_ = nullptr;

template <typename F>
asio::awaitable<Status> status_of(F call) {
  try {
    co_await call();
  } catch (const RpcError& e) {
    co_return e.status();
  }
  co_return Status::ok();
}

const char* kCppToPy = "C++ consumer → Python producer";

struct ErrorCase {
  int code;
  const char* name;
};
constexpr ErrorCase kErrorCases[] = {
    {5, "NOT_FOUND"}, {7, "PERMISSION_DENIED"}, {9, "FAILED_PRECONDITION"}, {101, "CONTRACT_VIOLATION"}};

TEST_F(CppConsumerPythonProducer, Unary) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto t = co_await client.client<RpcTest>();
    EchoRequest req1{"hello", "x"};  // named: GCC 12 mishandles braced temporaries in co_await
    auto r = co_await t.echo(std::move(req1));
    record("unary", kCppToPy, "normal call", r.message == "hello" && r.data == "x");
    EXPECT_EQ(r.message, "hello");
    EXPECT_EQ(r.peer.size(), 64u);
    EchoRequest req2{};  // named: GCC 12 mishandles braced temporaries in co_await
    auto empty = co_await t.echo(std::move(req2));
    record("unary", kCppToPy, "0-length payload", empty.message.empty());
    std::string big(4u << 20, 'q');
    for (size_t i = 0; i < big.size(); i += 101) big[i] = static_cast<char>('a' + i % 26);
    EchoRequest req3{"big", big};  // named: GCC 12 mishandles braced temporaries in co_await
    auto b = co_await t.echo(std::move(req3));
    record("unary", kCppToPy, "4 MiB payload", b.data == big);
    EXPECT_EQ(b.data, big);
    EchoRequest req4{"c", std::string(10000, 'z')};  // named: GCC 12 mishandles braced temporaries in co_await
    auto c = co_await t.echo(std::move(req4));
    record("unary", kCppToPy, "over compression threshold", c.data == std::string(10000, 'z'));
    rpc::CallOptions o;
    o.metadata.emplace_back("x-echo", "round trip");
    EchoRequest req5{"m", ""};  // named: GCC 12 mishandles braced temporaries in co_await
    auto m = co_await t.echo(std::move(req5), o);
    record("unary", kCppToPy, "metadata round trip", m.metadata == "round trip");
    EXPECT_EQ(m.metadata, "round trip");
    for (const ErrorCase& ec : kErrorCases) {
      const int code = ec.code;
      const std::string name = ec.name;
      auto st = co_await status_of([&]() -> asio::awaitable<void> {
        FailRequest req6{code, "code " + std::to_string(code)};  // named: GCC 12 mishandles braced temporaries in co_await
        co_await t.fail(std::move(req6));
      });
      bool ok = static_cast<int>(st.code()) == code && st.message() == "code " + std::to_string(code);
      record("unary", kCppToPy, "handler error " + name, ok);
      EXPECT_TRUE(ok) << st.to_string();
    }
    rpc::CallOptions d;
    d.timeout = std::chrono::milliseconds(300);
    auto st = co_await status_of([&]() -> asio::awaitable<void> {
      SlowRequest slow{5000};
      co_await t.slow(std::move(slow), d);
    });
    record("unary", kCppToPy, "deadline exceeded", st.code() == StatusCode::kDeadlineExceeded);
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.to_string();
  });
}

TEST_F(CppConsumerPythonProducer, UnknownServiceAndMethod) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    struct Missing {
      static const contract::ServiceDesc& descriptor() {
        static const contract::ServiceDesc d =
            contract::ServiceDesc("Missing").version(1).method(
                contract::unary<EchoRequest, EchoReply>("echo"));
        return d;
      }
      using Client = rpc::ServiceClient;
    };
    bool lookup = false;
    try {
      (void)co_await client.client<Missing>();
    } catch (const LookupError&) {
      lookup = true;
    }
    record("unary", kCppToPy, "unknown service (LookupError)", lookup);
    EXPECT_TRUE(lookup);
    static const contract::ServiceDesc wider = contract::ServiceDesc("RpcTest").version(1).method(
        contract::unary<EchoRequest, EchoReply>("nope"));
    struct Probe : rpc::ServiceClient {
      using ServiceClient::ServiceClient;
      asio::awaitable<EchoReply> nope() { return unary<EchoReply>("nope", EchoRequest{}); }
    };
    const auto& summary = client.find_service("RpcTest", 1);
    Probe probe(co_await client.channel_for(summary), wider, 1);
    auto st = co_await status_of([&]() -> asio::awaitable<void> { co_await probe.nope(); });
    record("unary", kCppToPy, "unknown method", st.code() == StatusCode::kUnimplemented);
    EXPECT_EQ(st.code(), StatusCode::kUnimplemented) << st.to_string();
  });
}

TEST_F(CppConsumerPythonProducer, ServerStream) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto t = co_await client.client<RpcTest>();
    CountRequest req7{5, -1, 0};  // named: GCC 12 mishandles braced temporaries in co_await
    auto s = co_await t.count(std::move(req7));
    std::vector<int64_t> got;
    while (auto item = co_await s.next()) got.push_back(item->i);
    record("server stream", kCppToPy, "normal call", got == std::vector<int64_t>{0, 1, 2, 3, 4});
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 3, 4}));
    CountRequest req8{0, -1, 0};  // named: GCC 12 mishandles braced temporaries in co_await
    auto none = co_await t.count(std::move(req8));
    record("server stream", kCppToPy, "empty stream", !(co_await none.next()).has_value());
    CountRequest req9{10, 2, 0};  // named: GCC 12 mishandles braced temporaries in co_await
    auto e = co_await t.count(std::move(req9));
    std::vector<int64_t> partial;
    auto st = co_await status_of([&]() -> asio::awaitable<void> {
      while (auto item = co_await e.next()) partial.push_back(item->i);
    });
    bool ok = st.code() == StatusCode::kFailedPrecondition && partial == std::vector<int64_t>{0, 1};
    record("server stream", kCppToPy, "error after 2 items", ok);
    EXPECT_TRUE(ok) << st.to_string();
    CountRequest req10{100000, -1, 1};  // named: GCC 12 mishandles braced temporaries in co_await
    auto c = co_await t.count(std::move(req10));
    EXPECT_EQ((co_await c.next())->i, 0);
    c.cancel();
    EchoRequest req11{"still serving", ""};  // named: GCC 12 mishandles braced temporaries in co_await
    auto after = co_await t.echo(std::move(req11));
    record("server stream", kCppToPy, "cancel mid-stream, producer serves on",
           after.message == "still serving");
    rpc::CallOptions d;
    d.timeout = std::chrono::milliseconds(300);
    CountRequest req12{100000, -1, 20};  // named: GCC 12 mishandles braced temporaries in co_await
    auto slow = co_await t.count(std::move(req12), d);
    st = co_await status_of([&]() -> asio::awaitable<void> {
      while (co_await slow.next()) {
      }
    });
    record("server stream", kCppToPy, "deadline exceeded", st.code() == StatusCode::kDeadlineExceeded);
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.to_string();
  });
}

// The Python twin's MissionControl is served at version 2: 0.1.2 consumers can only call
// version 1, ours send the version the producer offered.
struct StatusRequest {
  std::string agent_id;
};
ASTER_MESSAGE(StatusRequest, "demo.mission/StatusRequest", ASTER_FIELD(agent_id))
struct StatusResponse {
  std::string agent_id;
  std::string status;
  int64_t uptime_secs = 0;
};
ASTER_MESSAGE(StatusResponse, "demo.mission/StatusResponse", ASTER_FIELD(agent_id),
              ASTER_FIELD(status), ASTER_FIELD(uptime_secs))
struct MissionControl {
  static const contract::ServiceDesc& descriptor() {
    static const contract::ServiceDesc d =
        contract::ServiceDesc("MissionControl")
            .version(2)
            .method(contract::unary<StatusRequest, StatusResponse>("get_status"))
            .method(contract::server_stream<StatusRequest, StatusResponse>("watch"));
    return d;
  }
  class Client : public rpc::ServiceClient {
   public:
    using ServiceClient::ServiceClient;
    asio::awaitable<StatusResponse> get_status(StatusRequest r) {
      return unary<StatusResponse>("get_status", std::move(r));
    }
    asio::awaitable<rpc::ServerStream<StatusResponse>> watch(StatusRequest r) {
      return server_stream<StatusResponse>("watch", std::move(r));
    }
  };
};

TEST_F(CppConsumerPythonProducer, RawTransportWithValues) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto raw = co_await client.transport(RpcTest::descriptor());
    auto request = Value::make_struct("test.rpc/EchoRequest", {{"message", "raw"}, {"data", ""}});
    auto reply = co_await raw.unary("echo", request);
    bool ok = reply.is_ok() && reply->as_struct().find("message")->as_string() == "raw";
    record("unary", kCppToPy, "raw transport (aster::Value)", ok);
    EXPECT_TRUE(ok) << reply.status().to_string();
    auto count = Value::make_struct("test.rpc/CountRequest",
                                    {{"n", int64_t{2}}, {"fail_at", int64_t{-1}}, {"delay_ms", int64_t{0}}});
    auto stream = co_await raw.server_stream("count", count);
    size_t n = 0;
    if (stream.is_ok()) {
      while (true) {
        auto item = co_await stream->next();
        if (!item.is_ok() || !item->has_value()) break;
        ++n;
      }
    }
    record("server stream", kCppToPy, "raw transport (aster::Value)", n == 2);
    EXPECT_EQ(n, 2u);
  });
}

TEST_F(CppConsumerPythonProducer, HelloServiceAndAVersionOtherThanOne) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto hello = co_await client.client<demo::HelloService>();
    demo::HelloRequest req{"World"};
    auto reply = co_await hello.say_hello(std::move(req));
    record("unary", kCppToPy, "examples/hello HelloService", reply.message == "Hello, World!");
    EXPECT_EQ(reply.message, "Hello, World!");
    auto mc = co_await client.client<MissionControl>();
    EXPECT_EQ(mc.version(), 2);
    StatusRequest sreq{"edge-1"};
    auto status = co_await mc.get_status(sreq);
    record("unary", kCppToPy, "service version 2", status.status == "idle" && status.uptime_secs == 42);
    EXPECT_EQ(status.agent_id, "edge-1");
    auto watch = co_await mc.watch(sreq);
    std::vector<std::string> ticks;
    while (auto item = co_await watch.next()) ticks.push_back(item->status);
    record("server stream", kCppToPy, "service version 2",
           ticks == std::vector<std::string>{"tick-0", "tick-1", "tick-2"});
    EXPECT_EQ(ticks, (std::vector<std::string>{"tick-0", "tick-1", "tick-2"}));
  });
}

}  // namespace
}  // namespace aster::interop
