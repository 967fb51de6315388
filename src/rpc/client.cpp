#include "aster/rpc/client.hpp"

#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "aster/transport/quic_byte_stream.hpp"
#include "aster/trust/consumer_admission.hpp"

namespace aster::rpc {
namespace {

// One `aster/1` connection; each call opens a bidi stream on it.
class QuicChannel final : public Channel {
 public:
  explicit QuicChannel(transport::Connection conn) : conn_(std::move(conn)) {}
  ~QuicChannel() override {
    if (conn_.valid()) (void)conn_.close(0, "normal close");
  }
  asio::awaitable<Result<std::unique_ptr<transport::ByteStream>>> open_stream() override {
    ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await conn_.open_bi());
    co_return transport::make_quic_byte_stream(std::move(stream));
  }
  // open + write + FIN in one bridge operation, usually completed without suspending.
  asio::awaitable<Result<OpenedStream>> open_stream_with(
      std::span<const uint8_t> request) override {
    ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await conn_.try_open_bi_with(request));
    co_return opened(std::move(stream));
  }
  // The whole unary exchange in one bridge operation; a cancel resets and stops with
  // kUnaryCancelCode, as call_unary's deadline path does.
  asio::awaitable<Result<OpenedStream>> open_call(std::span<const uint8_t> request) override {
    ASTER_CO_ASSIGN_OR_RETURN(auto call,
                              co_await conn_.try_open_bi_call(
                                  request, transport::Connection::kAcceptFirstBytes,
                                  kUnaryCancelCode));
    if (call.answer) {
      // The whole answer is here (a short one usually is): the stream is done with.
      OpenedStream done;
      done.answer = std::move(call.answer);
      co_return done;
    }
    co_return opened(std::move(call.stream));
  }
  transport::Connection* quic_connection() override { return &conn_; }
  void close() {
    if (conn_.valid()) (void)conn_.close(0, "normal close");
  }
  Result<transport::ConnectionPath> path() const { return conn_.path(); }

 private:
  // A stream opened with its request, or none when the peer's stream limit is reached (the
  // caller then waits in open_stream()).
  static OpenedStream opened(std::optional<transport::BidiStream> stream) {
    if (!stream) return OpenedStream{};
    return OpenedStream{transport::make_quic_byte_stream(std::move(*stream)), Status::ok(),
                        std::nullopt};
  }

  transport::Connection conn_;
};

}  // namespace

struct Client::State {
  transport::Runtime* runtime = nullptr;
  std::string address;
  ClientOptions options;
  transport::Endpoint endpoint;
  trust::ConsumerAdmissionResponse admission;
  std::optional<transport::ConnectionPath> admission_path;  // when the admission reply came
  bool connected = false;
  // One aster/1 connection per channel address. While the first caller connects, `connecting`
  // is set and everyone else asking for that address waits on it, so that many calls started at
  // once share one connection instead of each dialling its own.
  struct ChannelSlot {
    std::shared_ptr<QuicChannel> channel;
    std::shared_ptr<asio::steady_timer> connecting;
  };
  std::map<std::string, ChannelSlot> channels;
};

Client::Client(transport::Runtime& runtime, std::string address, ClientOptions options)
    : state_(std::make_shared<State>()) {
  if (address.empty()) {
    if (const char* env = std::getenv("ASTER_ENDPOINT_ADDR")) address = env;
  }
  state_->runtime = &runtime;
  state_->address = std::move(address);
  state_->options = options;
}

Client::~Client() { close(); }

asio::awaitable<void> Client::connect() {
  auto& s = *state_;
  if (s.address.empty()) {
    throw std::invalid_argument("no producer address (pass one or set ASTER_ENDPOINT_ADDR)");
  }
  auto producer = transport::parse_endpoint_addr(s.address);
  if (!producer.is_ok()) throw std::invalid_argument(producer.status().message());
  if (!s.endpoint.valid()) {
    transport::EndpointConfig config;
    if (Status relay = transport::apply_relay_mode_from_env(config); !relay.is_ok()) {
      throw ConnectionError(relay.message());
    }
    config.serve_content = s.options.serve_content;
    if (s.options.identity.secret_key) config.secret_key = s.options.identity.secret_key->bytes();
    auto endpoint = co_await s.runtime->create_endpoint(std::move(config));
    if (!endpoint.is_ok()) throw ConnectionError(endpoint.status().to_string());
    s.endpoint = std::move(*endpoint);
  }
  trust::ConsumerAdmissionRequest request;  // empty credential: dev mode
  request.credential_json = s.options.identity.credential_json();
  trust::ConsumerAdmissionOptions admission;
  admission.timeout = s.options.admission_timeout;  // retries the 0.1.2 close race inside it
  admission.debug = s.options.debug;
  admission.on_reply = [&s](const transport::Connection& c) {
    if (auto path = c.path(); path.is_ok()) s.admission_path = *path;
  };
  auto reply =
      co_await trust::request_consumer_admission(s.endpoint, *producer, request, admission);
  if (!reply.is_ok()) throw ConnectionError(reply.status().message());
  if (!reply->admitted) {
    // 0.1.2 producers never say why (`reason` is always ""); name what we presented.
    std::string message = "admission denied by producer";
    if (!reply->reason.empty()) message += ": " + reply->reason;
    message += request.credential_json.empty()
                   ? " (no credential presented)"
                   : " (credential refused)";
    throw PermissionError(message);
  }
  s.admission = std::move(*reply);
  s.connected = true;
}

Result<transport::ConnectionPath> Client::connection_path() const {
  const auto& s = *state_;
  if (!s.connected) return Status(StatusCode::kFailedPrecondition, "client not connected");
  for (const auto& [address, slot] : s.channels) {
    if (slot.channel) return slot.channel->path();
  }
  if (s.admission_path) return *s.admission_path;
  return Status(StatusCode::kUnavailable, "the connection's path is not known");
}

const std::string& Client::registry_namespace() const {
  return state_->admission.registry_namespace;
}

asio::awaitable<Result<std::string>> Client::fetch_manifest(const trust::ServiceSummary& summary,
                                                            registry::FetchOptions options) {
  auto& s = *state_;
  if (!s.connected) co_return Status(StatusCode::kFailedPrecondition, "client not connected");
  ASTER_CO_ASSIGN_OR_RETURN(auto producer, transport::parse_endpoint_addr(s.address));
  co_return co_await registry::fetch_manifest(s.endpoint, producer, s.admission.registry_namespace,
                                              summary.contract_id, std::move(options));
}

asio::awaitable<Result<registry::RegistryReader>> Client::join_registry(
    registry::FetchOptions options) {
  auto& s = *state_;
  if (!s.connected) co_return Status(StatusCode::kFailedPrecondition, "client not connected");
  ASTER_CO_ASSIGN_OR_RETURN(auto producer, transport::parse_endpoint_addr(s.address));
  co_return co_await registry::RegistryReader::join(
      s.endpoint, std::move(producer), s.admission.registry_namespace, std::move(options));
}

const std::vector<trust::ServiceSummary>& Client::services() const {
  return state_->admission.services;
}

const trust::ServiceSummary& Client::find_service(const std::string& name,
                                                  int64_t version) const {
  if (!state_->connected) throw std::logic_error("Client not connected; call connect() first");
  for (const auto& s : state_->admission.services) {
    if (s.name == name && s.version == version) return s;
  }
  std::string offered;
  for (const auto& s : state_->admission.services) {
    offered += (offered.empty() ? "" : ", ") + s.name + " v" + std::to_string(s.version);
  }
  throw LookupError("service '" + name + "' v" + std::to_string(version) +
                    " not offered by producer (got: " + offered + ")");
}

asio::awaitable<std::shared_ptr<Channel>> Client::channel_for(
    const trust::ServiceSummary& summary) {
  auto& s = *state_;
  auto it = summary.channels.find("rpc");
  if (it == summary.channels.end()) {
    throw LookupError("service '" + summary.name + "' has no channel 'rpc'");
  }
  const std::string key = it->second;
  while (true) {
    auto cached = s.channels.find(key);
    if (cached == s.channels.end()) break;
    if (cached->second.channel) co_return cached->second.channel;
    if (!cached->second.connecting) break;
    auto connecting = cached->second.connecting;  // another call is dialling: wait for it
    std::error_code ignored;
    co_await connecting->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  auto addr = transport::parse_endpoint_addr(key);
  if (!addr.is_ok()) throw ConnectionError("bad rpc channel address: " + addr.status().message());
  auto connecting = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                         asio::steady_timer::time_point::max());
  s.channels[key].connecting = connecting;
  auto conn = co_await s.endpoint.connect(*addr, "aster/1");
  if (!conn.is_ok()) {
    s.channels.erase(key);
    connecting->cancel();  // the waiters dial themselves
    throw ConnectionError(conn.status().message());
  }
  auto channel = std::make_shared<QuicChannel>(std::move(*conn));
  s.channels[key] = State::ChannelSlot{channel, nullptr};
  connecting->cancel();  // the waiters find the channel
  co_return channel;
}

asio::awaitable<std::shared_ptr<SessionStream>> Client::open_session(
    const contract::ServiceDesc& desc) {
  if (desc.scope() != contract::ScopeKind::kSession) {
    throw std::invalid_argument("'" + desc.name() +
                                "' is not session-scoped: use client<Service>() or transport()");
  }
  const trust::ServiceSummary& summary = find_service(desc.name(), desc.version());
  auto channel = co_await channel_for(summary);
  auto stream = co_await channel->open_stream();
  if (!stream.is_ok()) throw RpcError(StatusCode::kUnavailable, stream.status().message());
  auto session = co_await SessionStream::open(std::move(*stream), summary.name, summary.version,
                                              uses_json(summary, desc));
  if (!session.is_ok()) throw RpcError(StatusCode::kUnavailable, session.status().message());
  co_return std::move(*session);
}

asio::awaitable<RawTransport> Client::transport(std::shared_ptr<contract::ManifestTypes> types,
                                                const std::string& service, int32_t version) {
  const trust::ServiceSummary& summary = find_service(service, version);
  auto channel = co_await channel_for(summary);
  auto raw = RawTransport::from_manifest(std::move(channel), std::move(types), service, version,
                                         uses_json(summary));
  if (!raw.is_ok()) throw LookupError(raw.status().message());
  co_return std::move(raw).value();
}

bool Client::uses_json(const trust::ServiceSummary& summary) {
  return json_only(summary.serialization_modes);
}

bool Client::uses_json(const trust::ServiceSummary& summary, const contract::ServiceDesc& desc) {
  return json_only(summary.serialization_modes.empty() ? desc.serialization_modes()
                                                       : summary.serialization_modes);
}

void Client::close() {
  if (!state_) return;
  for (auto& [addr, slot] : state_->channels) {
    if (slot.channel) slot.channel->close();
  }
  state_->channels.clear();
}

}  // namespace aster::rpc
