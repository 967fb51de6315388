// The RPC runtime against the real aster-rpc 0.1.2 both ways, for the four stateless patterns
// (unary, server stream, client stream, bidi): our C++ producer (aster::Server) called by
// 0.1.2's typed Python consumer (py/rpc_test_consumer.py), and our C++ consumer (aster::Client)
// calling a 0.1.2 producer (py/rpc_test_producer.py, py/hello_producer.py). Prints the interop
// matrix at the end.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "interop_matrix.hpp"
#include "reference_peer.hpp"
#include "rpc_suites.hpp"
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

class PythonConsumerCppProducer : public PythonConsumerSuite<PythonConsumerCppProducer> {
 public:
  static constexpr const char* kConsumerScript = "rpc_test_consumer.py";
  static void add_services(rpc::Server& server) {
    server.add(aster::testing::make_rpc_test_impl());
  }

 protected:
  static void expect_ok(const std::string& pattern, const std::string& c,
                        const std::string& name) {
    auto r = result(name);
    bool ok = r.is_object() && r["ok"] == true;
    record(pattern, "Python consumer → C++ producer", c, ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump() << "\n" << consumer_err_;
  }
  static void expect_code(const std::string& pattern, const std::string& c,
                          const std::string& name, int code) {
    auto r = result(name);
    bool ok = r.is_object() && r["ok"] == false && r["code"] == code;
    record(pattern, "Python consumer → C++ producer", c, ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump() << "\n" << consumer_err_;
  }
};

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
  auto lookup = result("unknown_service");
  bool lookup_ok = lookup.is_object() && lookup["kind"] == "LookupError";
  record("unary", "Python consumer → C++ producer", "unknown service (LookupError)", lookup_ok);
  EXPECT_TRUE(lookup_ok) << lookup.dump();
}

TEST_F(PythonConsumerCppProducer, ServerStream) {
  expect_ok("server stream", "normal call", "server_stream");
  EXPECT_EQ(result("server_stream")["value"], nlohmann::json::array({0, 1, 2, 3, 4}));
  expect_ok("server stream", "empty stream", "server_stream_empty");
  auto partial = result("server_stream_error");
  bool ok = partial.is_object() && partial["code"] == 9 &&
            partial["value"] == nlohmann::json::array({0, 1});
  record("server stream", "Python consumer → C++ producer", "error after 2 items", ok);
  EXPECT_TRUE(ok) << partial.dump();
  expect_ok("server stream", "cancel mid-stream", "server_stream_cancel");
  expect_ok("server stream", "producer serves on after cancel", "after_cancel");
  expect_code("server stream", "deadline exceeded", "server_stream_deadline", 4);
}

const char* kPyToCpp = "Python consumer → C++ producer";

TEST_F(PythonConsumerCppProducer, ServerStreamPayloadsMetadataAndErrors) {
  ASSERT_TRUE(results_.is_object()) << consumer_err_;
  auto empty = result("ss_empty_payload");
  record("server stream", kPyToCpp, "0-length payload",
         empty["ok"] == true && empty["value"]["n"] == 2 && empty["value"]["message"] == "");
  expect_ok("server stream", "4 MiB payload", "ss_4mib");
  EXPECT_EQ(result("ss_4mib")["value"]["data_ok"], true);
  expect_ok("server stream", "over compression threshold", "ss_compressed");
  EXPECT_EQ(result("ss_compressed")["value"]["data_ok"], true);
  auto md = result("ss_metadata");
  bool md_ok = md["ok"] == true && md["value"]["metadata"] == "round trip";
  record("server stream", kPyToCpp, "metadata round trip", md_ok);
  EXPECT_TRUE(md_ok) << md.dump();
  for (const char* code : {"5", "7", "9", "101"}) {
    auto r = result(std::string("ss_error_") + code);
    bool ok = r["ok"] == false && r["code"] == std::stoi(code) &&
              r["message"] == std::string("code ") + code && r["value"] == nlohmann::json::array({0});
    record("server stream", kPyToCpp, std::string("handler error ") + code + " after 1 item", ok);
    EXPECT_TRUE(ok) << r.dump();
  }
  expect_code("server stream", "unknown method", "ss_unknown_method", 12);
}

TEST_F(PythonConsumerCppProducer, ClientStream) {
  ASSERT_TRUE(results_.is_object()) << consumer_err_;
  auto normal = result("cs_normal");
  bool ok = normal["ok"] == true && normal["value"]["message"] == "a|b|c" &&
            normal["value"]["data"] == "123" && normal["value"]["peer"].get<std::string>().size() == 64;
  record("client stream", kPyToCpp, "normal call", ok);
  EXPECT_TRUE(ok) << normal.dump();
  ok = normal["ok"] == true && normal["value"]["metadata"] == "round trip";
  record("client stream", kPyToCpp, "metadata round trip", ok);
  EXPECT_TRUE(ok) << normal.dump();
  auto none = result("cs_no_items");
  ok = none["ok"] == true && none["value"]["message"] == "" && none["value"]["data_len"] == 0;
  record("client stream", kPyToCpp, "no items", ok);
  EXPECT_TRUE(ok) << none.dump();
  auto empty = result("cs_empty_payload");
  ok = empty["ok"] == true && empty["value"]["message"] == "";
  record("client stream", kPyToCpp, "0-length payload", ok);
  EXPECT_TRUE(ok) << empty.dump();
  for (const char* name : {"cs_4mib", "cs_compressed"}) {
    auto r = result(name);
    ok = r["ok"] == true && r["value"]["data_ok"] == true;
    record("client stream", kPyToCpp,
           std::string(name) == "cs_4mib" ? "4 MiB payload" : "over compression threshold", ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump();
  }
  auto many = result("cs_many");
  ok = many["ok"] == true && many["value"]["data_len"] == 1000;
  record("client stream", kPyToCpp, "1000 items", ok);
  EXPECT_TRUE(ok) << many.dump();
  for (int code : {5, 7, 9, 101}) {
    expect_code("client stream", "handler error " + std::to_string(code),
                "cs_error_" + std::to_string(code), code);
  }
  expect_code("client stream", "deadline exceeded", "cs_deadline", 4);
  auto cancel = result("cs_cancel");
  ok = cancel["ok"] == true && cancel["value"] == "still serving";
  record("client stream", kPyToCpp, "cancel mid-stream, producer serves on", ok);
  EXPECT_TRUE(ok) << cancel.dump();
  expect_code("client stream", "unknown method", "cs_unknown_method", 12);
}

TEST_F(PythonConsumerCppProducer, Bidi) {
  ASSERT_TRUE(results_.is_object()) << consumer_err_;
  auto normal = result("bidi_normal");
  bool ok = normal["ok"] == true && normal["value"]["ended"] == true &&
            normal["value"]["replies"].size() == 3 &&
            normal["value"]["replies"][2]["message"] == "c" &&
            normal["value"]["replies"][0]["peer"].get<std::string>().size() == 64;
  record("bidi", kPyToCpp, "normal call", ok);
  EXPECT_TRUE(ok) << normal.dump();
  ok = normal["ok"] == true && normal["value"]["replies"][0]["metadata"] == "round trip";
  record("bidi", kPyToCpp, "metadata round trip", ok);
  EXPECT_TRUE(ok) << normal.dump();
  auto none = result("bidi_no_items");
  ok = none["ok"] == true && none["value"]["ended"] == true && none["value"]["replies"].empty();
  record("bidi", kPyToCpp, "no items", ok);
  EXPECT_TRUE(ok) << none.dump();
  auto empty = result("bidi_empty_payload");
  ok = empty["ok"] == true && empty["value"]["replies"].size() == 1 &&
       empty["value"]["replies"][0]["message"] == "";
  record("bidi", kPyToCpp, "0-length payload", ok);
  EXPECT_TRUE(ok) << empty.dump();
  for (const char* name : {"bidi_4mib", "bidi_compressed"}) {
    auto r = result(name);
    ok = r["ok"] == true && r["value"]["replies"].size() == 1 &&
         r["value"]["replies"][0]["data_ok"] == true;
    record("bidi", kPyToCpp,
           std::string(name) == "bidi_4mib" ? "4 MiB payload" : "over compression threshold", ok);
    EXPECT_TRUE(ok) << name << ": " << r.dump();
  }
  auto many = result("bidi_many");
  ok = many["ok"] == true && many["value"]["replies"].size() == 300;
  record("bidi", kPyToCpp, "300 items in turn", ok);
  EXPECT_TRUE(ok) << many.dump();
  for (int code : {5, 7, 9, 101}) {
    auto r = result("bidi_error_" + std::to_string(code));
    ok = r["ok"] == false && r["code"] == code && r["value"] == nlohmann::json::array({"fine"});
    record("bidi", kPyToCpp, "handler error " + std::to_string(code) + " after 1 item", ok);
    EXPECT_TRUE(ok) << r.dump();
  }
  auto early = result("bidi_early_trailer");
  ok = early["ok"] == true && early["value"] == nlohmann::json::array({0, 1, 2});
  record("bidi", kPyToCpp, "producer trailer before consumer FIN", ok);
  EXPECT_TRUE(ok) << early.dump();
  expect_code("bidi", "deadline exceeded", "bidi_deadline", 4);
  auto cancel = result("bidi_cancel");
  ok = cancel["ok"] == true && cancel["value"]["after"] == "still serving" &&
       cancel["value"]["got"] == nlohmann::json::array({0, 1, 2});
  record("bidi", kPyToCpp, "cancel mid-stream, producer serves on", ok);
  EXPECT_TRUE(ok) << cancel.dump();
  expect_code("bidi", "unknown method", "bidi_unknown_method", 12);
}

TEST_F(PythonConsumerCppProducer, UnknownServiceIsALookupErrorForEveryPattern) {
  ASSERT_TRUE(results_.is_object()) << consumer_err_;
  // 0.1.2's AsterClient.client raises before any call, whatever the methods' patterns.
  auto lookup = result("unknown_service");
  bool ok = lookup.is_object() && lookup["kind"] == "LookupError";
  for (const char* pattern : {"server stream", "client stream", "bidi"}) {
    record(pattern, kPyToCpp, "unknown service (LookupError)", ok);
  }
  EXPECT_TRUE(ok) << lookup.dump();
}

TEST_F(PythonConsumerCppProducer, JsonModeThroughTheProxy) {
  expect_ok("unary", "JSON mode (proxy)", "json_unary");
  EXPECT_EQ(result("json_unary")["value"]["message"], "json");
  EXPECT_EQ(result("json_unary")["value"]["data"], "d");
  // 0.1.2 writes handler errors as Fory trailers on JSON streams; its JSON client falls back.
  expect_code("unary", "JSON mode handler error", "json_error", 7);
  expect_ok("server stream", "JSON mode (proxy)", "json_server_stream");
  EXPECT_EQ(result("json_server_stream")["value"].size(), 3u);
  auto cs = result("json_client_stream");
  bool ok = cs["ok"] == true && cs["value"]["message"] == "j|s" && cs["value"]["data"] == "js";
  record("client stream", kPyToCpp, "JSON mode (proxy)", ok);
  EXPECT_TRUE(ok) << cs.dump();
  auto bidi = result("json_bidi");
  ok = bidi["ok"] == true && bidi["value"]["first"]["message"] == "json" &&
       bidi["value"]["ended"] == true;
  record("bidi", kPyToCpp, "JSON mode (proxy)", ok);
  EXPECT_TRUE(ok) << bidi.dump();
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

class CppConsumerPythonProducer : public PythonProducerSuite<CppConsumerPythonProducer> {
 public:
  static constexpr const char* kProducerScript = "rpc_test_producer.py";
};

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
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        FailRequest req6{code, "code " + std::to_string(code)};  // named: GCC 12 mishandles braced temporaries in co_await
        co_await t.fail(std::move(req6));
      });
      bool ok = static_cast<int>(st.code()) == code && st.message() == "code " + std::to_string(code);
      record("unary", kCppToPy, "handler error " + name, ok);
      EXPECT_TRUE(ok) << st.to_string();
    }
    rpc::CallOptions d;
    d.timeout = std::chrono::milliseconds(300);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
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
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await probe.nope(); });
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
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
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
    st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (co_await slow.next()) {
      }
    });
    record("server stream", kCppToPy, "deadline exceeded", st.code() == StatusCode::kDeadlineExceeded);
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.to_string();
  });
}

std::string big_payload() {
  std::string big(4u << 20, 'q');
  for (size_t i = 0; i < big.size(); i += 101) big[i] = static_cast<char>('a' + i % 26);
  return big;
}

TEST_F(CppConsumerPythonProducer, ServerStreamPayloadsMetadataAndErrors) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto t = co_await client.client<RpcTest>();
    auto all = [](auto& stream) -> asio::awaitable<std::vector<EchoReply>> {
      std::vector<EchoReply> out;
      while (auto item = co_await stream.next()) out.push_back(std::move(*item));
      co_return out;
    };
    EchoRequest empty_req{};
    auto s0 = co_await t.echo_stream(std::move(empty_req));
    auto empty = co_await all(s0);
    record("server stream", kCppToPy, "0-length payload",
           empty.size() == 2 && empty[0].message.empty() && empty[0].data.empty());
    const std::string big = big_payload();
    EchoRequest big_req{"big", big};
    auto s1 = co_await t.echo_stream(std::move(big_req));
    auto b = co_await all(s1);
    bool ok = b.size() == 2 && b[0].data == big && b[1].data == big;
    record("server stream", kCppToPy, "4 MiB payload", ok);
    EXPECT_TRUE(ok);
    EchoRequest c_req{"c", std::string(10000, 'z')};
    auto s2 = co_await t.echo_stream(std::move(c_req));
    auto c = co_await all(s2);
    record("server stream", kCppToPy, "over compression threshold",
           c.size() == 2 && c[0].data == std::string(10000, 'z'));
    rpc::CallOptions o;
    o.metadata.emplace_back("x-echo", "round trip");
    EchoRequest m_req{"m", ""};
    auto s3 = co_await t.echo_stream(std::move(m_req), o);
    auto m = co_await all(s3);
    ok = m.size() == 2 && m[0].metadata == "round trip";
    record("server stream", kCppToPy, "metadata round trip", ok);
    EXPECT_TRUE(ok);
    for (const ErrorCase& ec : kErrorCases) {
      const int code = ec.code;
      FailRequest req{code, "code " + std::to_string(code)};
      auto s4 = co_await t.fail_stream(std::move(req));
      std::vector<int64_t> got;
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        while (auto item = co_await s4.next()) got.push_back(item->i);
      });
      ok = static_cast<int>(st.code()) == code && st.message() == "code " + std::to_string(code) &&
           got == std::vector<int64_t>{0};
      record("server stream", kCppToPy, std::string("handler error ") + ec.name + " after 1 item", ok);
      EXPECT_TRUE(ok) << st.to_string();
    }
  });
}

TEST_F(CppConsumerPythonProducer, ClientStream) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto t = co_await client.client<RpcTest>();
    rpc::CallOptions o;
    o.metadata.emplace_back("x-echo", "round trip");
    auto w = co_await t.collect(o);
    for (const char* m : {"a", "b", "c"}) {
      EchoRequest req{m, std::string(m) + "!"};
      co_await w.write(req);
    }
    EchoReply r = co_await w.finish();
    bool ok = r.message == "a|b|c" && r.data == "a!b!c!" && r.peer.size() == 64;
    record("client stream", kCppToPy, "normal call", ok);
    EXPECT_TRUE(ok) << r.message << " " << r.data;
    record("client stream", kCppToPy, "metadata round trip", r.metadata == "round trip");
    EXPECT_EQ(r.metadata, "round trip");
    auto none = co_await t.collect();
    EchoReply n = co_await none.finish();
    record("client stream", kCppToPy, "no items", n.message.empty() && n.data.empty());
    auto zero = co_await t.collect();
    EchoRequest empty_req{};
    co_await zero.write(empty_req);
    EchoReply z = co_await zero.finish();
    record("client stream", kCppToPy, "0-length payload", z.message.empty() && z.data.empty());
    const std::string big = big_payload();
    auto bw = co_await t.collect();
    EchoRequest big_req{"big", big};
    co_await bw.write(big_req);
    EchoReply b = co_await bw.finish();
    record("client stream", kCppToPy, "4 MiB payload", b.data == big);
    EXPECT_EQ(b.data.size(), big.size());
    auto cw = co_await t.collect();
    EchoRequest c_req{"c", std::string(10000, 'z')};
    co_await cw.write(c_req);
    EchoReply c = co_await cw.finish();
    record("client stream", kCppToPy, "over compression threshold",
           c.data == std::string(10000, 'z'));
    auto mw = co_await t.collect();
    for (int i = 0; i < 1000; ++i) {
      EchoRequest one{"", "."};
      co_await mw.write(one);
    }
    EchoReply many = co_await mw.finish();
    record("client stream", kCppToPy, "1000 items", many.data == std::string(1000, '.'));
    EXPECT_EQ(many.data.size(), 1000u);
    for (const ErrorCase& ec : kErrorCases) {
      const int code = ec.code;
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        auto fw = co_await t.collect_fail();
        FailRequest req{code, "code " + std::to_string(code)};
        co_await fw.write(req);
        FailRequest more{0, "more"};
        co_await fw.write(more);
        (void)co_await fw.finish();
      });
      ok = static_cast<int>(st.code()) == code && st.message() == "code " + std::to_string(code);
      record("client stream", kCppToPy, std::string("handler error ") + ec.name, ok);
      EXPECT_TRUE(ok) << st.to_string();
    }
    rpc::CallOptions d;
    d.timeout = std::chrono::milliseconds(300);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      auto sw = co_await t.collect_slow(d);
      SlowRequest slow{5000};
      co_await sw.write(slow);
      (void)co_await sw.finish();
    });
    record("client stream", kCppToPy, "deadline exceeded", st.code() == StatusCode::kDeadlineExceeded);
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.to_string();
    auto xw = co_await t.collect();
    EchoRequest a{"a", ""};
    co_await xw.write(a);
    xw.cancel();
    EchoRequest after_req{"still serving", ""};
    auto after = co_await t.echo(std::move(after_req));
    record("client stream", kCppToPy, "cancel mid-stream, producer serves on",
           after.message == "still serving");
  });
}

TEST_F(CppConsumerPythonProducer, Bidi) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    auto t = co_await client.client<RpcTest>();
    // Each request answered in turn, then our FIN and the producer's OK trailer.
    // Callers name the vector and options: GCC 12 mishandles braced temporaries in co_await.
    auto turns = [&](std::vector<EchoRequest> reqs,
                     rpc::CallOptions o) -> asio::awaitable<std::vector<EchoReply>> {
      auto s = co_await t.chat(std::move(o));
      std::vector<EchoReply> out;
      for (const auto& r : reqs) {
        co_await s.write(r);
        auto got = co_await s.next();
        if (got) out.push_back(std::move(*got));
      }
      co_await s.done_writing();
      auto end = co_await s.next();
      EXPECT_FALSE(end.has_value());
      co_return out;
    };
    rpc::CallOptions md;
    md.metadata.emplace_back("x-echo", "round trip");
    std::vector<EchoRequest> abc{{"a", "1"}, {"b", "2"}, {"c", "3"}};
    const rpc::CallOptions plain;
    auto r = co_await turns(std::move(abc), md);
    bool ok = r.size() == 3 && r[2].message == "c" && r[2].data == "3" && r[0].peer.size() == 64;
    record("bidi", kCppToPy, "normal call", ok);
    EXPECT_TRUE(ok);
    ok = !r.empty() && r[0].metadata == "round trip";
    record("bidi", kCppToPy, "metadata round trip", ok);
    EXPECT_TRUE(ok);
    std::vector<EchoRequest> no_reqs;
    auto none = co_await turns(std::move(no_reqs), plain);
    record("bidi", kCppToPy, "no items", none.empty());
    std::vector<EchoRequest> zero_reqs(1);
    auto zero = co_await turns(std::move(zero_reqs), plain);
    record("bidi", kCppToPy, "0-length payload", zero.size() == 1 && zero[0].message.empty());
    const std::string big = big_payload();
    std::vector<EchoRequest> big_reqs{{"big", big}};
    auto b = co_await turns(std::move(big_reqs), plain);
    record("bidi", kCppToPy, "4 MiB payload", b.size() == 1 && b[0].data == big);
    EXPECT_TRUE(b.size() == 1 && b[0].data == big);
    std::vector<EchoRequest> c_reqs{{"c", std::string(10000, 'z')}};
    auto c = co_await turns(std::move(c_reqs), plain);
    record("bidi", kCppToPy, "over compression threshold",
           c.size() == 1 && c[0].data == std::string(10000, 'z'));
    std::vector<EchoRequest> many_reqs;
    for (int i = 0; i < 300; ++i) many_reqs.push_back(EchoRequest{std::to_string(i), "."});
    auto many = co_await turns(std::move(many_reqs), plain);
    record("bidi", kCppToPy, "300 items in turn", many.size() == 300 && many[299].message == "299");
    for (const ErrorCase& ec : kErrorCases) {
      const int code = ec.code;
      std::vector<std::string> got;
      auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
        auto s = co_await t.chat_fail();
        FailRequest fine{0, "fine"};
        co_await s.write(fine);
        if (auto item = co_await s.next()) got.push_back(item->message);
        FailRequest bad{code, "code " + std::to_string(code)};
        co_await s.write(bad);
        (void)co_await s.next();
      });
      ok = static_cast<int>(st.code()) == code && st.message() == "code " + std::to_string(code) &&
           got == std::vector<std::string>{"fine"};
      record("bidi", kCppToPy, std::string("handler error ") + ec.name + " after 1 item", ok);
      EXPECT_TRUE(ok) << st.to_string();
    }
    // The producer ends the call after one request, before our FIN.
    auto early = co_await t.chat_count();
    CountRequest three{3, -1, 0};
    co_await early.write(three);
    std::vector<int64_t> items;
    while (auto item = co_await early.next()) items.push_back(item->i);
    co_await early.write(three);  // 0.1.2 reads on until our FIN
    co_await early.done_writing();
    ok = items == std::vector<int64_t>{0, 1, 2};
    record("bidi", kCppToPy, "producer trailer before consumer FIN", ok);
    EXPECT_TRUE(ok);
    rpc::CallOptions d;
    d.timeout = std::chrono::milliseconds(300);
    auto slow = co_await t.chat_count(d);
    CountRequest endless{100000, -1, 20};
    co_await slow.write(endless);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> {
      while (co_await slow.next()) {
      }
    });
    record("bidi", kCppToPy, "deadline exceeded", st.code() == StatusCode::kDeadlineExceeded);
    EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.to_string();
    auto x = co_await t.chat_count();
    CountRequest fast{100000, -1, 1};
    co_await x.write(fast);
    EXPECT_EQ((co_await x.next())->i, 0);
    x.cancel();
    EchoRequest after_req{"still serving", ""};
    auto after = co_await t.echo(std::move(after_req));
    record("bidi", kCppToPy, "cancel mid-stream, producer serves on",
           after.message == "still serving");
  });
}

TEST_F(CppConsumerPythonProducer, UnknownServiceAndMethodForEveryPattern) {
  run([](rpc::Client& client) -> asio::awaitable<void> {
    struct Missing {
      static const contract::ServiceDesc& descriptor() {
        static const contract::ServiceDesc d =
            contract::ServiceDesc("Missing")
                .version(1)
                .method(contract::server_stream<EchoRequest, EchoReply>("echo_stream"))
                .method(contract::client_stream<EchoRequest, EchoReply>("collect"))
                .method(contract::bidi_stream<EchoRequest, EchoReply>("chat"));
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
    for (const char* pattern : {"server stream", "client stream", "bidi"}) {
      record(pattern, kCppToPy, "unknown service (LookupError)", lookup);
    }
    EXPECT_TRUE(lookup);
    static const contract::ServiceDesc wider =
        contract::ServiceDesc("RpcTest")
            .version(1)
            .method(contract::server_stream<EchoRequest, EchoReply>("nope_stream"))
            .method(contract::client_stream<EchoRequest, EchoReply>("nope_collect"))
            .method(contract::bidi_stream<EchoRequest, EchoReply>("nope_chat"));
    struct Probe : rpc::ServiceClient {
      using ServiceClient::ServiceClient;
      asio::awaitable<void> stream() {
        EchoRequest req{"x", ""};
        auto s = co_await server_stream<EchoReply>("nope_stream", std::move(req));
        (void)co_await s.next();
      }
      asio::awaitable<void> collect() {
        auto w = co_await client_stream<EchoReply, EchoRequest>("nope_collect");
        EchoRequest req{"x", ""};
        co_await w.write(req);
        (void)co_await w.finish();
      }
      asio::awaitable<void> chat() {
        auto s = co_await bidi<EchoReply, EchoRequest>("nope_chat");
        EchoRequest req{"x", ""};
        co_await s.write(req);
        (void)co_await s.next();
      }
    };
    const auto& summary = client.find_service("RpcTest", 1);
    Probe probe(co_await client.channel_for(summary), wider, 1);
    auto st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await probe.stream(); });
    record("server stream", kCppToPy, "unknown method", st.code() == StatusCode::kUnimplemented);
    EXPECT_EQ(st.code(), StatusCode::kUnimplemented) << st.to_string();
    st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await probe.collect(); });
    record("client stream", kCppToPy, "unknown method", st.code() == StatusCode::kUnimplemented);
    EXPECT_EQ(st.code(), StatusCode::kUnimplemented) << st.to_string();
    st = co_await status_of_call([&]() -> asio::awaitable<void> { co_await probe.chat(); });
    record("bidi", kCppToPy, "unknown method", st.code() == StatusCode::kUnimplemented);
    EXPECT_EQ(st.code(), StatusCode::kUnimplemented) << st.to_string();
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
    auto w = co_await raw.client_stream("collect");
    bool cs_ok = false;
    if (w.is_ok()) {
      auto item = Value::make_struct("test.rpc/EchoRequest", {{"message", "r"}, {"data", "d"}});
      (void)co_await w->write(item);
      (void)co_await w->write(item);
      auto collected = co_await w->finish();
      cs_ok = collected.is_ok() && collected->as_struct().find("message")->as_string() == "r|r";
    }
    record("client stream", kCppToPy, "raw transport (aster::Value)", cs_ok);
    EXPECT_TRUE(cs_ok);
    auto b = co_await raw.bidi("chat");
    size_t echoed = 0;
    if (b.is_ok()) {
      auto item = Value::make_struct("test.rpc/EchoRequest", {{"message", "r"}, {"data", ""}});
      (void)co_await b->write(item);
      (void)co_await b->done_writing();
      while (true) {
        auto got = co_await b->next();
        if (!got.is_ok() || !got->has_value()) break;
        ++echoed;
      }
    }
    record("bidi", kCppToPy, "raw transport (aster::Value)", echoed == 1);
    EXPECT_EQ(echoed, 1u);
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
