// aster::Client — a consumer as 0.1.2's AsterClient behaves in dev mode
// (aster-rpc@0972ac9:bindings/python/aster/runtime.py `AsterClient`): connect() runs consumer
// admission on `aster.consumer_admission` (presenting ClientOptions::identity's credential, or
// the empty one of dev mode) and learns the offered services;
// client<Service>() matches name + version and returns the typed client over one cached
// `aster/1` connection per channel address; each stateless call is one new bidi stream.
//
//   aster::Client client(runtime, "aster1…");  // or "" → ASTER_ENDPOINT_ADDR
//   co_await client.connect();                  // PermissionError / ConnectionError
//   auto hello = co_await client.client<HelloService>();   // LookupError when not offered
//   HelloRequest req{"World"};
//   auto reply = co_await hello.say_hello(std::move(req));  // RpcError
//
// Unlike 0.1.2 (which always sends version 1), calls carry the version the producer offered.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aster/rpc/errors.hpp"
#include "aster/rpc/raw_transport.hpp"
#include "aster/rpc/service_client.hpp"
#include "aster/rpc/session_client.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster/registry/registry.hpp"
#include "aster/trust/admission_messages.hpp"
#include "aster/trust/consumer_identity.hpp"

namespace aster::rpc {

struct ClientOptions {
  std::chrono::milliseconds admission_timeout{10000};
  // Called with each admission debug line (retries); `aster -v` prints them.
  std::function<void(std::string_view)> debug;
  // Serve iroh-blobs/gossip/docs on the client's endpoint, as 0.1.2 consumers do: needed to
  // read the producer's registry (fetch_manifest).
  bool serve_content = false;
  // The node key and enrollment credential to present (trust::load_consumer_identity reads
  // them from `--rcan` / `.aster-identity` files). Empty: an ephemeral key and the empty
  // credential, which only an open-gate producer admits.
  trust::ConsumerIdentity identity;
};

class Client {
 public:
  // `address`: aster1… ticket, base64 NodeAddr or 64-hex id; empty → ASTER_ENDPOINT_ADDR.
  Client(transport::Runtime& runtime, std::string address, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Admission. Throws PermissionError when refused, ConnectionError when unreachable,
  // std::invalid_argument for a malformed address.
  asio::awaitable<void> connect();

  const std::vector<trust::ServiceSummary>& services() const;
  // The offered summary for (name, version); throws LookupError.
  const trust::ServiceSummary& find_service(const std::string& name, int64_t version) const;
  // A channel to the producer's `aster/1` endpoint for `summary` (cached per address).
  asio::awaitable<std::shared_ptr<Channel>> channel_for(const trust::ServiceSummary& summary);

  template <typename Service>
  asio::awaitable<typename Service::Client> client() {
    const contract::ServiceDesc& desc = Service::descriptor();
    const trust::ServiceSummary& summary = find_service(desc.name(), desc.version());
    auto channel = co_await channel_for(summary);
    co_return typename Service::Client(std::move(channel), desc, summary.version,
                                       uses_json(summary, desc));
  }

  // Raw transport for an offered service described at run time (calls by method name with
  // aster::Value). Throws LookupError when (desc.name(), desc.version()) is not offered.
  asio::awaitable<RawTransport> transport(const contract::ServiceDesc& desc) {
    const trust::ServiceSummary& summary = find_service(desc.name(), desc.version());
    auto channel = co_await channel_for(summary);
    co_return RawTransport(std::move(channel), desc, summary.version, uses_json(summary, desc));
  }

  // Opens a session with a session-scoped service (session_client.hpp): one new stream on
  // the service's connection, at the version the producer offered. Throws LookupError when
  // not offered, std::invalid_argument when the declaration is not session-scoped, RpcError
  // when the stream cannot be opened.
  template <typename Service>
  asio::awaitable<typename Service::Session> session() {
    const contract::ServiceDesc& desc = Service::descriptor();
    auto stream = co_await open_session(desc);
    co_return typename Service::Session(std::move(stream), desc);
  }
  // The same by method name with aster::Value payloads.
  asio::awaitable<RawSession> session(const contract::ServiceDesc& desc) {
    auto stream = co_await open_session(desc);
    co_return RawSession(std::move(stream), desc);
  }

  // Raw transport for an offered service whose types come from what the producer publishes
  // (RawTransport::from_manifest). Throws LookupError when (service, version) is not offered,
  // or `types` holds no manifest for it.
  asio::awaitable<RawTransport> transport(std::shared_ptr<contract::ManifestTypes> types,
                                          const std::string& service, int32_t version);

  // JSON mode for `summary` the way 0.1.2 chooses it: only when the producer lists modes
  // without "xlang" but with "json" (json_only).
  static bool uses_json(const trust::ServiceSummary& summary);
  // The same, falling back to the modes `desc` declares when the summary lists none (0.1.2
  // producers list none: a 0.1.2 JSON-only service says so only in its contract).
  static bool uses_json(const trust::ServiceSummary& summary, const contract::ServiceDesc& desc);

  // The registry namespace from the admission reply ("" when the producer published none).
  const std::string& registry_namespace() const;
  // The manifest.json of an offered service from the producer's registry
  // (registry::fetch_manifest over this client's endpoint; needs options.serve_content).
  asio::awaitable<Result<std::string>> fetch_manifest(const trust::ServiceSummary& summary,
                                                      registry::FetchOptions options = {});
  // The producer's registry joined over this client's endpoint (valid while the client is).
  asio::awaitable<Result<registry::RegistryReader>> join_registry(
      registry::FetchOptions options = {});

  // The network path to the producer (transport::ConnectionPath: direct address or relay
  // URL, RTT): live from the client's `aster/1` connection once one is open, else the path the
  // admission reply came on. kFailedPrecondition before connect().
  Result<transport::ConnectionPath> connection_path() const;

  // Closes the cached connections (0.1.2: close(0, "normal close")).
  void close();

  struct State;  // implementation (client.cpp)

 private:
  asio::awaitable<std::shared_ptr<SessionStream>> open_session(const contract::ServiceDesc& desc);
  std::shared_ptr<State> state_;
};

}  // namespace aster::rpc

namespace aster {
using Client = rpc::Client;
}
