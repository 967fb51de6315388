#include "aster/rpc/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>
#include <stdexcept>

#include "aster/contract/contract.hpp"
#include "aster/transport/quic_byte_stream.hpp"
#include "aster/trust/consumer_admission.hpp"

namespace aster::rpc {

struct Server::State {
  transport::Runtime* runtime;
  ServerOptions options;
  Dispatcher dispatcher;
  trust::OpenGateOffer offer;
  transport::Endpoint endpoint;
  // Our own address, read once when the endpoint starts (the getters below cannot fail then).
  transport::EndpointAddr own_address;
  bool closed = false;
};

Server::Server(transport::Runtime& runtime, ServerOptions options)
    : state_(std::make_shared<State>()) {
  state_->runtime = &runtime;
  state_->options = std::move(options);
}

Server::~Server() = default;

Server& Server::add(ServiceImpl impl) {
  Status st = state_->dispatcher.add(std::move(impl));
  if (!st.is_ok()) throw std::invalid_argument(st.to_string());
  return *this;
}

Server& Server::add(SessionServiceImpl impl) {
  Status st = state_->dispatcher.add(std::move(impl));
  if (!st.is_ok()) throw std::invalid_argument(st.to_string());
  return *this;
}

asio::awaitable<Status> Server::start() {
  auto& s = *state_;
  transport::EndpointConfig config;
  config.alpns = {std::string(kRpcAlpn), std::string(trust::kConsumerAdmissionAlpn)};
  config.secret_key = s.options.secret_key;
  config.bind_v4 = s.options.bind_v4;
  transport::apply_relay_mode_from_env(config);
  ASTER_CO_ASSIGN_OR_RETURN(s.endpoint, co_await s.runtime->create_endpoint(std::move(config)));
  ASTER_CO_ASSIGN_OR_RETURN(s.own_address, s.endpoint.address());
  const std::string rpc_address = s.own_address.to_node_addr_b64();
  for (const contract::ServiceDesc* desc : s.dispatcher.services()) {
    ASTER_CO_ASSIGN_OR_RETURN(auto artifacts, contract::build_contract_artifacts(*desc));
    trust::ServiceSummary summary;
    summary.name = desc->name();
    summary.version = desc->version();
    summary.contract_id = artifacts.contract_id;
    summary.channels["rpc"] = rpc_address;
    summary.pattern = desc->scope() == contract::ScopeKind::kSession ? "session" : "shared";
    // 0.1.2 producers advertise [] (runtime.py `AsterServer.start`); consumers then use XLANG.
    s.offer.services.push_back(std::move(summary));
  }
  co_return Status::ok();
}

namespace {

asio::awaitable<void> serve_connection(std::shared_ptr<Server::State> s,
                                       transport::Connection conn);

}  // namespace

asio::awaitable<void> Server::serve() {
  auto s = state_;
  auto ex = co_await asio::this_coro::executor;
  while (!s->closed) {
    auto conn = co_await s->endpoint.accept();
    if (!conn.is_ok()) break;  // endpoint closed
    asio::co_spawn(ex, serve_connection(s, std::move(*conn)), asio::detached);
  }
}

namespace {

asio::awaitable<void> serve_rpc_stream(std::shared_ptr<Server::State> s,
                                       transport::BidiStream stream, std::string peer) {
  auto bytes = transport::make_quic_byte_stream(std::move(stream));
  co_await s->dispatcher.serve_stream(*bytes, std::move(peer));
}

asio::awaitable<void> serve_connection(std::shared_ptr<Server::State> s,
                                       transport::Connection conn) {
  auto ex = co_await asio::this_coro::executor;
  try {
    if (conn.alpn() == trust::kConsumerAdmissionAlpn) {
      // One stream per admission connection, as 0.1.2 serves it.
      auto stream = co_await conn.accept_bi();
      if (!stream.is_ok()) co_return;
      auto bytes = transport::make_quic_byte_stream(std::move(*stream));
      co_await trust::serve_open_gate_admission(*bytes, s->offer);
      // Keep the connection until the consumer has read the reply and closes it.
      (void)co_await conn.closed();
      co_return;
    }
    if (conn.alpn() != kRpcAlpn) {
      (void)conn.close(0, "unexpected alpn");
      co_return;
    }
    while (true) {
      auto stream = co_await conn.accept_bi();
      if (!stream.is_ok()) break;  // connection closed or lost
      asio::co_spawn(ex, serve_rpc_stream(s, std::move(*stream), conn.remote_id().to_hex()),
                     asio::detached);
    }
  } catch (...) {
    // Cancellation at shutdown.
  }
}

}  // namespace

asio::awaitable<void> Server::close() {
  state_->closed = true;
  if (state_->endpoint.valid()) (void)co_await state_->endpoint.close();
}

std::string Server::address() const {
  const auto& addr = state_->own_address;
  transport::AsterTicket ticket;
  ticket.id = addr.id;
  ticket.direct_addresses = addr.direct_addresses;
  if (ticket.direct_addresses.size() > transport::AsterTicket::kMaxDirectAddresses) {
    ticket.direct_addresses.resize(transport::AsterTicket::kMaxDirectAddresses);
  }
  return ticket.to_string().value_or(addr.to_node_addr_b64());
}

std::string Server::endpoint_addr_b64() const {
  return state_->own_address.to_node_addr_b64();
}

std::string Server::endpoint_id() const { return state_->own_address.id.to_hex(); }

const std::vector<trust::ServiceSummary>& Server::services() const {
  return state_->offer.services;
}

}  // namespace aster::rpc
