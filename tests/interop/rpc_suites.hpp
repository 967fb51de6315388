// The two shapes of an RPC interop suite against the real aster-rpc 0.1.2, shared by the suites
// of aster_rpc_interop_tests (rpc_interop_test.cpp, session_interop_test.cpp,
// ordinary_service_test.cpp):
// - PythonProducerSuite<Suite>: our consumer against a 0.1.2 producer program
//   (`Suite::kProducerScript` in tests/interop/py/), one per suite; `run(body)` connects an
//   aster::Client to it and runs `body(client)`.
// - PythonConsumerSuite<Suite>: a 0.1.2 consumer program (`Suite::kConsumerScript`) against our
//   producer serving what `Suite::add_services(server)` adds. The consumer runs once at suite
//   set-up and prints one JSON object {case: outcome}; tests read `result(case)`.
#pragma once

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "aster/rpc/client.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "call_status.hpp"
#include "reference_peer.hpp"

namespace aster::interop {

using aster::testing::status_of_call;

template <typename Suite>
class PythonProducerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = std::make_unique<ReferencePeer>(Suite::kProducerScript, std::vector<std::string>{});
    runtime_ = transport::BlockingRuntime::create().value();
  }
  static void TearDownTestSuite() {
    runtime_.reset();
    peer_.reset();
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
  static inline std::unique_ptr<ReferencePeer> peer_;
  static inline std::unique_ptr<transport::BlockingRuntime> runtime_;
};

template <typename Suite>
class PythonConsumerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runtime_ = transport::BlockingRuntime::create().value();
    rpc::ServerOptions options;
    options.bind_v4 = "127.0.0.1:0";
    server_ = std::make_unique<rpc::Server>(runtime_->runtime(), options);
    Suite::add_services(*server_);
    Status started = runtime_->run(server_->start());
    ASSERT_TRUE(started.is_ok()) << started.to_string();
    asio::co_spawn(runtime_->io(), server_->serve(), asio::detached);
    auto r = run_command({reference_python(), std::string(ASTER_SOURCE_DIR) +
                                                  "/tests/interop/py/" + Suite::kConsumerScript,
                          server_->address()},
                         std::chrono::seconds(180));
    consumer_err_ = r.err;
    if (r.exit_code == 0) results_ = nlohmann::json::parse(r.out, nullptr, false);
  }
  static void TearDownTestSuite() {
    if (runtime_ && server_) runtime_->run(server_->close());
    server_.reset();
    runtime_.reset();
  }
  // A copy (an empty object when missing), so that r["key"] never throws or asserts.
  static nlohmann::json result(const std::string& name) {
    if (!results_.is_object() || !results_.contains(name)) return nlohmann::json::object();
    return results_[name];
  }
  static inline std::unique_ptr<transport::BlockingRuntime> runtime_;
  static inline std::unique_ptr<rpc::Server> server_;
  static inline nlohmann::json results_;
  static inline std::string consumer_err_;
};

}  // namespace aster::interop
