// aster::Server — a producer on one iroh endpoint serving ALPN `aster/1` (the Dispatcher) and
// `aster.consumer_admission`, as a 0.1.2 `AsterServer` does
// (aster-rpc@0972ac9:bindings/python/aster/runtime.py): without a root key an open gate (dev
// mode: the handshake runs so consumers discover the services); with one a closed gate, where
// admission verifies the consumer's credential (trust/credential_admission.hpp) and gate 0
// closes every other connection of a peer not admitted with 403 "not admitted".
//
//   aster::Server server(runtime);                 // transport::Runtime on your io_context
//   server.add(std::move(hello_impl));             // throws std::invalid_argument if incomplete
//   co_await server.start();                       // endpoint up; address() is known
//   std::cout << server.address() << "\n";          // aster1… ticket, as 0.1.2 prints it
//   co_await server.serve();                       // until close()
#pragma once

#include <array>
#include <chrono>
#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aster/rpc/dispatcher.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster/trust/ed25519.hpp"
#include "aster/trust/open_gate_admission.hpp"

namespace aster::rpc {

inline constexpr std::string_view kRpcAlpn = "aster/1";

struct ServerOptions {
  // The endpoint's ed25519 seed, for a stable address across restarts. When unset, 0.1.2's
  // order (trust/producer_identity.hpp): ASTER_SECRET_KEY (base64), else the identity file's
  // [node] secret_key, else a generated one. start() fails on a malformed key or file rather
  // than starting under another identity.
  std::optional<std::array<uint8_t, 32>> secret_key{};
  // The `.aster-identity` (0.1.2's `AsterServer(identity=…)`): empty → ASTER_IDENTITY_FILE,
  // else ./.aster-identity when it exists. A named file must exist.
  std::string identity_file{};
  // Its [[peers]] entry whose root_pubkey is the root key (0.1.2's `peer=`); empty → the first
  // peer with role "producer". A named peer must exist.
  std::string identity_peer{};
  std::string bind_v4;  // e.g. "127.0.0.1:0"; empty = iroh's default
  // Relay mode comes from ASTER_RELAY_MODE (transport::apply_relay_mode_from_env). With a
  // relay URL there (a self-hosted relay), start() waits up to this long for the home relay so
  // that address() carries its URL.
  std::chrono::milliseconds relay_wait{5000};

  // Calls (bidi streams) one consumer connection may have open at once. iroh's default, which
  // 0.1.2 keeps, is 100; a consumer past the limit waits for credit (its calls queue), it does
  // not fail. Each open call may buffer up to one frame (16 MiB) plus the 1.25 MB stream window,
  // so this bounds what one connection can make us hold (docs/rpc.md "Concurrent calls").
  uint32_t max_concurrent_calls = kDefaultMaxConcurrentCalls;
  static constexpr uint32_t kDefaultMaxConcurrentCalls = 1024;
  // The bound on receiving a call's header and request (Dispatcher::set_request_read_timeout).
  std::chrono::milliseconds request_read_timeout = kDefaultRequestReadTimeout;
  // QUIC idle timeout; 0 = iroh's 30 s. For tests that want a dead consumer noticed sooner
  // (keep it above iroh's 5 s keep-alive).
  std::chrono::milliseconds idle_timeout{0};
  // Publish the services' contracts in a registry document (iroh-docs + blob collections) and
  // send its namespace in admission replies, as 0.1.2 does on every start (docs/registry.md).
  // The endpoint then also serves iroh-blobs, iroh-gossip and iroh-docs. A failed publication
  // is not fatal (0.1.2: a warning, registry_namespace ""): see Server::registry_status().
  bool publish_registry = true;

  // The root key consumers' credentials must be signed by: a closed gate. When unset, as 0.1.2
  // picks it: the identity file's producer peer's root_pubkey (see identity_peer), else
  // ASTER_ROOT_PUBKEY (hex), else ASTER_ROOT_PUBKEY_FILE (hex or JSON `public_key`); start()
  // fails on a malformed one rather than opening the gate. None: an open gate (dev mode).
  // Unlike 0.1.2, a configured key — the identity file's included — is never overridden into
  // an open gate (its D1). Either way each call's `requires` is checked against the attributes
  // of the caller's admission (rpc/capability.hpp); on an open gate there are none, so it
  // denies.
  std::optional<trust::PublicKey> root_pubkey{};
  // How long an admission lets the peer through gate 0 when its credential expires later
  // (0.1.2: ASTER_PEER_TTL_S, 86400).
  std::chrono::seconds peer_ttl{86400};
};

// What the producer holds right now (Server::load): for tests and monitoring.
struct ServerLoad {
  size_t connections = 0;  // open aster/1 and admission connections
  size_t calls = 0;        // aster/1 streams being served
};

class Server {
 public:
  explicit Server(transport::Runtime& runtime, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds a service before start(). Throws std::invalid_argument when the binding is
  // incomplete, its shape is not served, or (name, version) is taken.
  Server& add(ServiceImpl impl);
  // A session-scoped service: one instance per session (SessionImpl<T>, session_impl.hpp).
  Server& add(SessionServiceImpl impl);

  // Creates the endpoint and the admission offer (contract ids of the added services).
  asio::awaitable<Status> start();
  // Accepts connections until close(); each stream is served concurrently.
  asio::awaitable<void> serve();
  // Stops accepting and closes the endpoint (in-flight calls end with their streams).
  // A connection that closes or is lost cancels the calls still running on it (as 0.1.2
  // cancels its stream tasks): their handlers see Asio cancellation at their next co_await.
  asio::awaitable<void> close();

  // Known once start() succeeded; empty before.
  // An aster1… ticket, as 0.1.2 prints it; the NodeAddr form instead when we have a home relay
  // (a ticket cannot carry the relay URL).
  std::string address() const;
  std::string endpoint_addr_b64() const;  // base64 NodeAddr (0.1.2's endpoint_addr_b64)
  std::string endpoint_id() const;        // 64 hex
  const std::vector<trust::ServiceSummary>& services() const;
  // The root key admission checks credentials against (a closed gate); nullopt: an open gate.
  std::optional<trust::PublicKey> root_pubkey() const;
  ServerLoad load() const;
  // The registry document's namespace (64 hex) sent to consumers; "" when not published.
  const std::string& registry_namespace() const;
  // Why publication failed (OK when it succeeded or was switched off).
  const Status& registry_status() const;

  struct State;  // implementation (server.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace aster::rpc

namespace aster {
using Server = rpc::Server;
}
