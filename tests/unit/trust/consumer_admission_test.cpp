// The consumer's retry of the 0.1.2 close race, against a C++ producer that closes the
// connection on purpose. A real 0.1.2 producer loses the race only sometimes (the interop test
// tests/interop/service_ls_test.cpp runs 200 admissions in parallel against one); this one
// loses it deterministically, so the bounds of the retry can be checked. No timings asserted.
#include "aster/trust/consumer_admission.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>
#include <memory>
#include <string>
#include <vector>

#include "aster/transport/blocking.hpp"

namespace aster::trust {
namespace {

using namespace std::chrono_literals;
using transport::BidiStream;
using transport::Connection;
using transport::Endpoint;
using transport::EndpointConfig;

EndpointConfig loopback(std::vector<std::string> alpns) {
  EndpointConfig config;
  config.alpns = std::move(alpns);
  config.bind_v4 = "127.0.0.1:0";
  config.relay_mode = transport::RelayMode::kDisabled;
  return config;
}

// What the producer does with the n-th admission connection (0-based).
struct ProducerScript {
  size_t close_first = 0;      // close(close_code) instead of answering the first N
  uint64_t close_code = 0;
  bool partial_before_close = false;  // write half a reply (no FIN) before closing
  size_t connections = 0;      // how many admissions arrived
  std::vector<Connection> kept;  // answered connections stay open: the consumer closes them
};

const std::string kReply = R"({"admitted":true,"attributes":{},"services":[],)"
                           R"("registry_namespace":"","root_pubkey":"","reason":""})";

asio::awaitable<void> serve(std::shared_ptr<Endpoint> producer,
                            std::shared_ptr<ProducerScript> script) {
  for (;;) {
    auto connection = co_await producer->accept();
    if (!connection) co_return;
    auto stream = co_await connection->accept_bi();
    if (!stream) continue;
    auto request = co_await stream->recv.read_to_end(kMaxAdmissionMessage);
    if (!request) continue;
    if (script->connections++ < script->close_first) {
      if (script->partial_before_close) {
        (void)co_await stream->send.write(
            std::span(reinterpret_cast<const uint8_t*>(kReply.data()), kReply.size() / 2));
      }
      (void)connection->close(script->close_code, "");
      continue;
    }
    auto written = co_await stream->send.write(
        std::span(reinterpret_cast<const uint8_t*>(kReply.data()), kReply.size()));
    if (written.is_ok()) (void)stream->send.finish();
    script->kept.push_back(std::move(connection).value());
  }
}

struct Outcome {
  Result<ConsumerAdmissionResponse> response;
  size_t connections = 0;
  std::vector<std::string> debug_lines;
};

// Both endpoints in one runtime: the producer serves in the background, the consumer admits.
// (Configs are built outside the coroutine: GCC 12 mishandles initializer lists in frames.)
asio::awaitable<Result<ConsumerAdmissionResponse>> run_admission(
    transport::Runtime* rt, EndpointConfig producer_config, EndpointConfig consumer_config,
    std::shared_ptr<ProducerScript> script, ConsumerAdmissionOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(auto producer,
                            co_await rt->create_endpoint(std::move(producer_config)));
  ASTER_CO_ASSIGN_OR_RETURN(auto consumer,
                            co_await rt->create_endpoint(std::move(consumer_config)));
  auto served = std::make_shared<Endpoint>(std::move(producer));
  asio::co_spawn(co_await asio::this_coro::executor, serve(served, script), asio::detached);
  // Named, not a temporary: GCC 12 destroys temporaries in a co_await expression twice.
  const ConsumerAdmissionRequest request;
  ASTER_CO_ASSIGN_OR_RETURN(const auto producer_address, served->address());
  auto response =
      co_await request_consumer_admission(consumer, producer_address, request, options);
  script->kept.clear();
  co_return response;
}

Outcome admit_against(std::shared_ptr<ProducerScript> script, ConsumerAdmissionOptions options) {
  auto blocking = transport::BlockingRuntime::create();
  EXPECT_TRUE(blocking) << blocking.status().to_string();
  if (!blocking) return {};
  auto debug_lines = std::make_shared<std::vector<std::string>>();
  options.debug = [debug_lines](std::string_view line) { debug_lines->emplace_back(line); };
  auto result = (*blocking)->run_for(
      run_admission(&(*blocking)->runtime(), loopback({std::string(kConsumerAdmissionAlpn)}),
                    loopback({}), script, options),
      120s);
  Outcome outcome;
  if (result) outcome.response = std::move(*result);
  outcome.connections = script->connections;
  outcome.debug_lines = *debug_lines;
  return outcome;
}

ConsumerAdmissionOptions quick_retries(int max_attempts) {
  ConsumerAdmissionOptions options;
  options.timeout = 60s;
  options.retry.max_attempts = max_attempts;
  options.retry.first_backoff = 1ms;
  options.retry.max_backoff = 4ms;
  return options;
}

TEST(ConsumerAdmission, RetriesWhenTheProducerClosesBeforeReplying) {
  auto script = std::make_shared<ProducerScript>();
  script->close_first = 2;
  auto outcome = admit_against(script, quick_retries(8));
  ASSERT_TRUE(outcome.response) << outcome.response.status().to_string();
  EXPECT_TRUE(outcome.response->admitted);
  EXPECT_EQ(outcome.connections, 3u);
  ASSERT_EQ(outcome.debug_lines.size(), 2u);
  EXPECT_NE(outcome.debug_lines[0].find("admission attempt 1 of 8"), std::string::npos)
      << outcome.debug_lines[0];
  EXPECT_NE(outcome.debug_lines[0].find("closed the connection (code 0) before its reply was "
                                        "complete"),
            std::string::npos)
      << outcome.debug_lines[0];
}

TEST(ConsumerAdmission, RetriesWhenTheReplyWasCutOff) {
  // Under load a 0.1.2 producer's close also cuts replies after some bytes arrived.
  auto script = std::make_shared<ProducerScript>();
  script->close_first = 1;
  script->partial_before_close = true;
  auto outcome = admit_against(script, quick_retries(8));
  ASSERT_TRUE(outcome.response) << outcome.response.status().to_string();
  EXPECT_TRUE(outcome.response->admitted);
  EXPECT_EQ(outcome.connections, 2u);
  EXPECT_EQ(outcome.debug_lines.size(), 1u);
}

TEST(ConsumerAdmission, RetriesAreBounded) {
  auto script = std::make_shared<ProducerScript>();
  script->close_first = 1000;
  auto outcome = admit_against(script, quick_retries(3));
  ASSERT_FALSE(outcome.response);
  EXPECT_EQ(outcome.response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(outcome.response.status().message().find("CONN_APP_CLOSED(0)"), std::string::npos)
      << outcome.response.status().message();
  EXPECT_NE(outcome.response.status().message().find("3 attempts"), std::string::npos)
      << outcome.response.status().message();
  EXPECT_EQ(outcome.connections, 3u);
  EXPECT_EQ(outcome.debug_lines.size(), 2u);
}

TEST(ConsumerAdmission, OtherCloseCodesAreNotRetried) {
  auto script = std::make_shared<ProducerScript>();
  script->close_first = 1000;
  script->close_code = 7;
  auto outcome = admit_against(script, quick_retries(8));
  ASSERT_FALSE(outcome.response);
  EXPECT_EQ(outcome.response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(outcome.response.status().message().find("CONN_APP_CLOSED(7)"), std::string::npos)
      << outcome.response.status().message();
  EXPECT_EQ(outcome.connections, 1u);
  EXPECT_TRUE(outcome.debug_lines.empty());
}

TEST(ConsumerAdmission, TheTimeoutBoundsTheRetriesToo) {
  auto script = std::make_shared<ProducerScript>();
  script->close_first = 1'000'000;
  auto options = quick_retries(1'000'000);
  options.timeout = 1500ms;
  options.retry.first_backoff = 100ms;
  options.retry.max_backoff = 100ms;
  auto outcome = admit_against(script, options);
  ASSERT_FALSE(outcome.response);
  EXPECT_EQ(outcome.response.status().code(), StatusCode::kDeadlineExceeded)
      << outcome.response.status().to_string();
}

TEST(ConsumerAdmission, AbsurdTimeoutsSaturate) {
  // Hours beyond any steady_clock range must neither overflow nor fire at once.
  auto script = std::make_shared<ProducerScript>();
  auto options = quick_retries(1);
  options.timeout = std::chrono::milliseconds::max();
  auto outcome = admit_against(script, options);
  ASSERT_TRUE(outcome.response) << outcome.response.status().to_string();
  EXPECT_TRUE(outcome.response->admitted);
}

}  // namespace
}  // namespace aster::trust
