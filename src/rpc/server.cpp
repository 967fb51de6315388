#include "aster/rpc/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <map>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "aster/contract/contract.hpp"
#include "aster/registry/registry.hpp"
#include "aster/transport/quic_byte_stream.hpp"
#include "aster/hex.hpp"
#include "aster/trust/consumer_admission.hpp"
#include "aster/trust/closed_gate_admission.hpp"
#include "aster/trust/key_files.hpp"
#include "aster/trust/producer_identity.hpp"
#include "call_deadlines.hpp"
#include "deadline_rule.hpp"

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
  std::atomic<size_t> connections{0};
  std::atomic<size_t> calls{0};
  Status registry_status = Status::ok();
  // Closed gate: the root key, the OTT nonces seen, and the peers admitted: endpoint id →
  // (epoch second until which gate 0 lets them through, their credential's attributes), as
  // 0.1.2's PeerAttributeStore (aster-rpc@0972ac9:bindings/python/aster/peer_store.py).
  struct Admission {
    int64_t until = 0;
    PeerAttributes attributes;
  };
  std::optional<trust::PublicKey> root;
  trust::NonceStore nonces;
  std::mutex admitted_mutex;
  std::map<std::string, Admission> admitted;

  // The peer's admission while it lasts; an expired one is dropped (0.1.2 evicts on lookup too).
  std::optional<Admission> admission_of(const std::string& endpoint_id) {
    std::lock_guard lock(admitted_mutex);
    auto it = admitted.find(endpoint_id);
    if (it == admitted.end()) return std::nullopt;
    if (it->second.until > std::time(nullptr)) return it->second;
    admitted.erase(it);
    return std::nullopt;
  }
  bool is_admitted(const std::string& endpoint_id) {
    return admission_of(endpoint_id).has_value();
  }
  void admit(const std::string& endpoint_id, const trust::CredentialCheck& check) {
    const int64_t ttl_end = std::time(nullptr) + options.peer_ttl.count();
    const int64_t until = static_cast<int64_t>(
        std::min<uint64_t>(check.expires_at, static_cast<uint64_t>(ttl_end)));
    std::lock_guard lock(admitted_mutex);
    admitted[endpoint_id] = Admission{until, check.attributes};
  }
};

namespace {

// ASTER_ROOT_PUBKEY (hex), else ASTER_ROOT_PUBKEY_FILE (hex or JSON `public_key`).
Result<std::optional<trust::PublicKey>> root_from_env() {
  if (const char* hex = std::getenv("ASTER_ROOT_PUBKEY"); hex != nullptr && *hex != '\0') {
    auto key = trust::public_key_from_hex(hex, "ASTER_ROOT_PUBKEY");
    if (!key) return key.status();
    return std::optional<trust::PublicKey>(*key);
  }
  if (const char* path = std::getenv("ASTER_ROOT_PUBKEY_FILE"); path != nullptr && *path != '\0') {
    auto text = trust::read_small_file(path);
    if (!text) return Status(text.status().code(), "ASTER_ROOT_PUBKEY_FILE: " + text.status().message());
    auto key = trust::parse_root_public_key(*text);
    if (!key) return Status(key.status().code(), "ASTER_ROOT_PUBKEY_FILE " + std::string(path) + ": " + key.status().message());
    return std::optional<trust::PublicKey>(*key);
  }
  return std::optional<trust::PublicKey>();
}

// ServerOptions::root_pubkey, else the identity file's producer peer's, else ASTER_ROOT_PUBKEY /
// ASTER_ROOT_PUBKEY_FILE (aster-rpc@0972ac9:bindings/python/aster/runtime.py
// `AsterServer.__init__`: `root_pubkey if root_pubkey is not None else pub`, the identity
// peer's key filling `root_pubkey`; config.py `resolve_root_pubkey`). The variables are read
// even when the identity file decides, so a malformed one fails start() either way.
Result<std::optional<trust::PublicKey>> configured_root(const ServerOptions& options,
                                                        const trust::ProducerIdentity& identity) {
  if (options.root_pubkey) return options.root_pubkey;
  ASTER_ASSIGN_OR_RETURN(auto from_env, root_from_env());
  if (identity.root_pubkey) return identity.root_pubkey;
  return from_env;
}

}  // namespace

Server::Server(transport::Runtime& runtime, ServerOptions options)
    : state_(std::make_shared<State>()) {
  state_->runtime = &runtime;
  state_->options = std::move(options);
  state_->dispatcher.set_request_read_timeout(state_->options.request_read_timeout);
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
  // The identity file is read even with an explicit key: it may still name the root key.
  ASTER_CO_ASSIGN_OR_RETURN(auto identity, trust::load_producer_identity(
                                               s.options.identity_file, s.options.identity_peer));
  config.secret_key = s.options.secret_key;
  if (!config.secret_key && identity.secret_key) config.secret_key = identity.secret_key->bytes();
  config.bind_v4 = s.options.bind_v4;
  config.max_bidi_streams = s.options.max_concurrent_calls;
  config.idle_timeout = s.options.idle_timeout;
  config.serve_content = s.options.publish_registry;
  ASTER_CO_ASSIGN_OR_RETURN(s.root, configured_root(s.options, identity));
  if (s.root) {
    s.offer.root_pubkey = to_hex(*s.root);
    // Gate 0 (aster-rpc@0972ac9:bindings/python/aster/trust/hooks.py `MeshEndpointHook`): the
    // admission ALPN is open to all; everything else needs an unexpired admission. Only incoming
    // connections are judged (0.1.2 also judges our own outgoing ones). The endpoint lives in
    // State, so a raw pointer to it outlives every call of the hook.
    State* state = &s;
    // Gate 3 reads the attributes of the caller's admission (an open gate has none to give).
    s.dispatcher.set_attribute_lookup([state](const std::string& peer) {
      auto admission = state->admission_of(peer);
      return admission ? admission->attributes : PeerAttributes{};
    });
    config.gate = [state](const transport::GateRequest& request) {
      if (!request.incoming || request.alpn == trust::kConsumerAdmissionAlpn ||
          state->is_admitted(request.remote_id.to_hex())) {
        return transport::GateVerdict::admit();
      }
      return transport::GateVerdict::deny(403, "not admitted");
    };
  }
  ASTER_CO_RETURN_IF_ERROR(transport::apply_relay_mode_from_env(config));
  const bool self_hosted_relay = config.relay_mode == transport::RelayMode::kCustom;
  ASTER_CO_ASSIGN_OR_RETURN(s.endpoint, co_await s.runtime->create_endpoint(std::move(config)));
  ASTER_CO_ASSIGN_OR_RETURN(s.own_address, s.endpoint.address());
  if (self_hosted_relay) {
    // Our dialers have no address lookup (no pkarr/DNS), so a consumer on another network
    // reaches us only through the relay URL in our address, and the home relay connects in the
    // background after bind. With a relay the operator named, wait for it (bounded) so the
    // address we print and advertise in the rpc channel carries it (docs/transport.md
    // "Self-hosted relay").
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto give_up = std::chrono::steady_clock::now() + s.options.relay_wait;
    while (s.own_address.relay_url.empty() && std::chrono::steady_clock::now() < give_up) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(asio::use_awaitable);
      ASTER_CO_ASSIGN_OR_RETURN(s.own_address, s.endpoint.address());
    }
  }
  const std::string rpc_address = s.own_address.to_node_addr_b64();
  std::vector<contract::ContractArtifacts> published;
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
    published.push_back(std::move(artifacts));
  }
  if (s.options.publish_registry) {
    // aster-rpc@0972ac9:bindings/python/aster/runtime.py `_publish_contracts`: failure leaves
    // registry_namespace "" and the server running.
    auto publication = co_await registry::publish_contracts(s.endpoint, published);
    if (publication.is_ok()) {
      s.offer.registry_namespace = publication->namespace_id;
    } else {
      s.registry_status = publication.status();
    }
  }
  co_return Status::ok();
}

std::optional<trust::PublicKey> Server::root_pubkey() const { return state_->root; }

const std::string& Server::registry_namespace() const { return state_->offer.registry_namespace; }
const Status& Server::registry_status() const { return state_->registry_status; }

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

// Counts one connection or call in State for as long as it lives (Server::load).
class LoadCount {
 public:
  explicit LoadCount(std::atomic<size_t>& n) : n_(&n) { ++*n_; }
  ~LoadCount() { --*n_; }
  LoadCount(const LoadCount&) = delete;
  LoadCount& operator=(const LoadCount&) = delete;

 private:
  std::atomic<size_t>* n_;
};

// The calls on one connection run on call loops: long-lived coroutines that each wait in
// accept_bi, serve the stream they get and wait again, so a call costs no co_spawn of its
// own (a spawn per call was about seven allocations and two trips through the io_context
// queue: docs/rpc.md "Per-call cost on the producer"). A loop that takes a stream while no
// other loop waits starts another one first, so accepting never stops; one that finishes a
// call while more than kSpareLoops others wait ends, so a burst of calls leaves few behind.
// Each loop has a cancellation signal, emitted when the connection ends so that no handler
// keeps running for a consumer that is gone (0.1.2 cancels a connection's stream tasks the
// same way: aster-rpc@0972ac9:bindings/python/aster/server.py `_handle_connection`, its
// `finally`), and by the connection's CallDeadlines when a call's bound passes.
constexpr size_t kSpareLoops = 64;

struct ConnectionCalls {
  ConnectionCalls(const asio::any_io_executor& ex, transport::Connection c, std::string p)
      : deadlines(std::make_shared<CallDeadlines>(ex)), conn(std::move(c)), peer(std::move(p)) {}
  struct Loop {
    asio::cancellation_signal signal;
    CallControl control;
  };
  std::list<Loop> loops;
  std::shared_ptr<CallDeadlines> deadlines;
  transport::Connection conn;
  const std::string peer;
  size_t accepting = 0;  // loops waiting in accept_bi
  bool ended = false;

  // The connection is over: every loop's call (or wait) is cancelled.
  void end() {
    if (ended) return;
    ended = true;
    deadlines->close();
    for (auto& loop : loops) loop.signal.emit(asio::cancellation_type::terminal);
  }
};

void start_call_loop(const std::shared_ptr<Server::State>& s,
                     const std::shared_ptr<ConnectionCalls>& calls,
                     const asio::any_io_executor& ex);

asio::awaitable<void> call_loop(std::shared_ptr<Server::State> s,
                                std::shared_ptr<ConnectionCalls> calls,
                                const CallControl* control) {
  auto ex = co_await asio::this_coro::executor;
  // The loop's unary call, filled in place for each (Dispatcher::take_whole_unary): its
  // context's strings keep their buffers from call to call.
  Dispatcher::UnaryCall unary;
  try {
    while (!calls->ended) {
      // Counts this loop as waiting in accept_bi until done() (or an exception) ends the wait.
      class Accepting {
       public:
        explicit Accepting(size_t& n) : n_(&n) { ++*n_; }
        ~Accepting() { done(); }
        void done() {
          if (n_ != nullptr) --*n_;
          n_ = nullptr;
        }

       private:
        size_t* n_;
      };
      Accepting waiting(calls->accepting);
      // A stream that is here already is taken without a suspension (accept_bi_now); else
      // the loop waits for one. Either initializes the result in place: no placeholder to
      // assign over (building a Status per call was ≈ 200 instructions, callgrind).
      std::optional<Result<transport::BidiStream>> taken = calls->conn.accept_bi_now();
      if (!taken) {
        auto accepting = calls->conn.accept_bi();  // named: no temporary across co_await
        taken.emplace(co_await std::move(accepting));
      }
      Result<transport::BidiStream>& stream = *taken;
      waiting.done();
      if (!stream.is_ok()) {  // connection closed or lost
        calls->end();
        break;
      }
      if (calls->accepting == 0 && !calls->ended) start_call_loop(s, calls, ex);
      {
        LoadCount counted(s->calls);
        transport::QuicByteStream bytes(std::move(*stream));
        if (!s->dispatcher.take_whole_unary(bytes, calls->peer, unary)) {
          co_await s->dispatcher.serve_stream(bytes, calls->peer, control, true);
        } else {
          // Dispatcher::serve_stream's unary steps in this coroutine: a frame fewer per call.
          Result<std::vector<uint8_t>> answer;
          bool timed_out = false;
          try {
            {
              CallDeadlines::Bound bounded(
                  *control->deadlines,
                  std::chrono::steady_clock::now() + handler_budget(unary.ctx), *control->signal);
              auto got = co_await unary.method->unary(unary.request_bytes(), unary.ctx);
              answer = std::move(got);
              timed_out = bounded.fired();
            }
            if (timed_out) co_await asio::this_coro::reset_cancellation_state();
            const auto state = Dispatcher::answer_now(bytes, answer, timed_out);
            if (state != Dispatcher::Answering::kSent) {
              auto rest = Dispatcher::answer(bytes, std::move(answer), timed_out, state);
              co_await std::move(rest);  // named: GCC 12 (docs/rpc.md)
            }
          } catch (...) {
            // Asio cancellation only (the server shuts down), as in serve_stream.
            (void)bytes.reset(0);
          }
          // A decompressed request is not kept until the loop's next call.
          if (!unary.in_place) unary.request = std::vector<uint8_t>{};
        }
      }
      if (calls->accepting > kSpareLoops) break;
    }
  } catch (...) {
    // Cancelled: the connection ended or the server shuts down.
  }
}

void start_call_loop(const std::shared_ptr<Server::State>& s,
                     const std::shared_ptr<ConnectionCalls>& calls,
                     const asio::any_io_executor& ex) {
  auto loop = calls->loops.emplace(calls->loops.end());
  loop->control = CallControl{&loop->signal, calls->deadlines.get()};
  // The signal is dropped only once the loop's coroutine has completed.
  asio::co_spawn(ex, call_loop(s, calls, &loop->control),
                 asio::bind_cancellation_slot(loop->signal.slot(),
                                              [calls, loop](std::exception_ptr) {
                                                calls->loops.erase(loop);
                                              }));
}

asio::awaitable<void> serve_connection(std::shared_ptr<Server::State> s,
                                       transport::Connection conn) {
  LoadCount counted(s->connections);
  auto ex = co_await asio::this_coro::executor;
  try {
    if (conn.alpn() == trust::kConsumerAdmissionAlpn) {
      // One stream per admission connection, as 0.1.2 serves it.
      auto stream = co_await conn.accept_bi();
      if (!stream.is_ok()) co_return;
      auto bytes = transport::make_quic_byte_stream(std::move(*stream));
      if (s->root) {
        const std::string peer = conn.remote_id().to_hex();
        Server::State* state = s.get();
        // Named, not a temporary in the co_await expression (GCC 12 double-frees those:
        // docs/rpc.md).
        std::function<void(const trust::CredentialCheck&)> on_admit =
            [state, peer](const trust::CredentialCheck& check) {
              state->admit(peer, check);
            };
        co_await trust::serve_closed_gate_admission(*bytes, s->offer, *s->root, peer, s->nonces,
                                                    std::move(on_admit));
      } else {
        co_await trust::serve_open_gate_admission(*bytes, s->offer);
      }
      // Keep the connection until the consumer has read the reply and closes it.
      (void)co_await conn.closed();
      co_return;
    }
    if (conn.alpn() != kRpcAlpn) {
      (void)conn.close(0, "unexpected alpn");
      co_return;
    }
  } catch (...) {
    co_return;  // cancellation at shutdown
  }
  std::string peer = conn.remote_id().to_hex();
  auto calls = std::make_shared<ConnectionCalls>(ex, std::move(conn), std::move(peer));
  start_call_loop(s, calls, ex);
  try {
    // Counted as a connection until it closes; the loops see it end in accept_bi too.
    (void)co_await calls->conn.closed();
  } catch (...) {
    // Cancellation at shutdown.
  }
  calls->end();
}

}  // namespace

asio::awaitable<void> Server::close() {
  state_->closed = true;
  if (state_->endpoint.valid()) (void)co_await state_->endpoint.close();
}

std::string Server::address() const {
  const auto& addr = state_->own_address;
  // An aster1 ticket has room for the relay's IP:port only, and 0.1.2 parsers drop even that
  // (aster-rpc@0972ac9:core/src/ticket.rs); the NodeAddr form, which 0.1.2 also reads, keeps
  // the relay URL.
  if (!addr.relay_url.empty()) return addr.to_node_addr_b64();
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

ServerLoad Server::load() const { return ServerLoad{state_->connections, state_->calls}; }

}  // namespace aster::rpc
