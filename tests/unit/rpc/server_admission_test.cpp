// Our producer's admission under concurrency (issue 13, point 1, producer half): it never
// closes an admission connection before the consumer has the reply (it waits for the
// consumer's close, src/rpc/server.cpp), so 1,000 admissions at once all succeed with retries
// turned off — unlike a 0.1.2 producer, whose implicit close can overtake its reply.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "aster/contract/service.hpp"
#include "aster/rpc/client.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/trust/consumer_admission.hpp"

namespace {

struct Ping {
  std::string text;
};
ASTER_MESSAGE(Ping, "test.admission/Ping", ASTER_FIELD(text))

const aster::contract::ServiceDesc& ping_service() {
  static const aster::contract::ServiceDesc desc =
      aster::contract::ServiceDesc("PingService").version(2).method(
          aster::contract::unary<Ping, Ping>("ping"));
  return desc;
}

constexpr int kAdmissions = 1000;

TEST(ServerAdmission, AThousandAtOnceAllSucceedWithoutRetries) {
  auto rt = aster::transport::BlockingRuntime::create().value();
  aster::Server server(rt->runtime(), {.bind_v4 = "127.0.0.1:0"});
  aster::rpc::ServiceImpl impl(ping_service());
  impl.unary<Ping, Ping>("ping", [](Ping p, aster::rpc::CallContext&)
                                     -> asio::awaitable<aster::Result<Ping>> { co_return p; });
  server.add(std::move(impl));
  ASSERT_TRUE(rt->run(server.start()).is_ok());
  asio::co_spawn(rt->io(), server.serve(), asio::detached);
  auto producer = aster::transport::parse_endpoint_addr(server.endpoint_addr_b64());
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();

  struct Tally {
    int admitted = 0;
    int failed = 0;
    std::string first_error;
  };
  Tally tally = rt->run([&]() -> asio::awaitable<Tally> {
    aster::transport::EndpointConfig cfg;
    cfg.bind_v4 = "127.0.0.1:0";
    auto client = co_await rt->runtime().create_endpoint(std::move(cfg));
    Tally t;
    if (!client.is_ok()) {
      t.failed = kAdmissions;
      t.first_error = client.status().to_string();
      co_return t;
    }
    aster::trust::ConsumerAdmissionOptions options;
    options.timeout = std::chrono::seconds(120);
    options.retry.max_attempts = 1;  // a lost reply must show up as a failure
    int pending = kAdmissions;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    for (int i = 0; i < kAdmissions; ++i) {
      asio::co_spawn(
          ex,
          [&]() -> asio::awaitable<void> {
            // Named, not a braced temporary inside co_await (GCC 12 destroys those twice;
            // docs/rpc.md).
            const aster::trust::ConsumerAdmissionRequest open_gate;
            auto reply = co_await aster::trust::request_consumer_admission(*client, *producer,
                                                                           open_gate, options);
            if (reply.is_ok() && reply->admitted && reply->services.size() == 1) {
              ++t.admitted;
            } else {
              if (t.failed++ == 0) t.first_error = reply.status().to_string();
            }
            if (--pending == 0) all_done.cancel();
          },
          asio::detached);
    }
    std::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return t;
  }());
  EXPECT_EQ(tally.failed, 0) << tally.first_error;
  EXPECT_EQ(tally.admitted, kAdmissions);
  rt->run(server.close());
}

// Issue 14, item 3: aster::Client names the network path to the producer (here the loopback
// direct path: relays off). Before an aster/1 connection exists it is the admission's path.
TEST(ServerAdmission, ClientReportsTheConnectionPath) {
  setenv("ASTER_RELAY_MODE", "disabled", 1);
  auto rt = aster::transport::BlockingRuntime::create().value();
  aster::Server server(rt->runtime(), {.bind_v4 = "127.0.0.1:0"});
  aster::rpc::ServiceImpl impl(ping_service());
  impl.unary<Ping, Ping>("ping", [](Ping p, aster::rpc::CallContext&)
                                     -> asio::awaitable<aster::Result<Ping>> { co_return p; });
  server.add(std::move(impl));
  ASSERT_TRUE(rt->run(server.start()).is_ok());
  asio::co_spawn(rt->io(), server.serve(), asio::detached);
  const auto producer = aster::transport::parse_endpoint_addr(server.endpoint_addr_b64());
  ASSERT_TRUE(producer.is_ok());
  const auto server_address = producer->direct_addresses.at(0);
  aster::Client client(rt->runtime(), server.endpoint_addr_b64());
  EXPECT_EQ(client.connection_path().status().code(), aster::StatusCode::kFailedPrecondition);
  auto path = rt->run([&]() -> asio::awaitable<aster::Result<aster::transport::ConnectionPath>> {
    co_await client.connect();
    auto admission = client.connection_path();
    if (!admission.is_ok()) co_return admission;
    if (admission->kind == aster::transport::ConnectionPath::Kind::kRelay) co_return admission;
    // The aster/1 connection's path, live; iroh selects it a moment after the handshake.
    aster::rpc::RawTransport raw = co_await client.transport(ping_service());
    for (int i = 0; i < 50; ++i) {
      auto now = client.connection_path();
      if (!now.is_ok() || now->kind != aster::transport::ConnectionPath::Kind::kNone) co_return now;
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
      co_await t.async_wait(asio::use_awaitable);
    }
    co_return client.connection_path();
  }());
  ASSERT_TRUE(path.is_ok()) << path.status().to_string();
  EXPECT_EQ(path->kind, aster::transport::ConnectionPath::Kind::kDirect) << path->to_string();
  EXPECT_EQ(path->address, server_address) << path->to_string();
  rt->run([&]() -> asio::awaitable<void> {
    client.close();  // its connections belong to the io thread
    co_return;
  }());
  rt->run(server.close());
  unsetenv("ASTER_RELAY_MODE");
}

}  // namespace
