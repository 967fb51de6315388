// Runtime, Endpoint and Connection over the bridge C ABI (bridge/include/aster_iroh.h).
// Coroutines copy what they need from `this` before the first suspension, so moving the
// handle object while an operation is pending is harmless.
#include "aster/transport/endpoint.hpp"

#include <cstdlib>

#include <asio/use_awaitable.hpp>

#include "runtime_core.hpp"

namespace aster::transport {

using detail::BridgeEvent;
using detail::RuntimeCore;

// ---- Configuration --------------------------------------------------------------------------

void apply_relay_mode_from_env(EndpointConfig& config) {
  const char* env = std::getenv("ASTER_RELAY_MODE");
  const std::string value = env ? env : "";
  if (value == "disabled" || value == "off" || value == "none") {
    config.relay_mode = RelayMode::kDisabled;
  } else if (value == "staging") {
    config.relay_mode = RelayMode::kStaging;
  } else if (value.starts_with("http://") || value.starts_with("https://")) {
    config.relay_mode = RelayMode::kCustom;
    config.relay_url = value;
  } else {
    config.relay_mode = RelayMode::kDefault;
  }
}

// ---- Runtime --------------------------------------------------------------------------------

Result<Runtime> Runtime::create(asio::io_context& io, Options options) {
  if (aster_iroh_abi_version() != ASTER_IROH_ABI_VERSION) {
    return Status(StatusCode::kFailedPrecondition, "aster_iroh library/header ABI mismatch");
  }
  aster_iroh_runtime_cfg cfg{sizeof(aster_iroh_runtime_cfg), options.worker_threads};
  aster_iroh_rt* rt = nullptr;
  if (int32_t st = aster_iroh_runtime_new(&cfg, &rt); st != ASTER_IROH_OK) {
    return detail::status_of_submit(st);
  }
  auto core = std::make_shared<RuntimeCore>(io, rt);
  core->start();
  return Runtime(std::move(core));
}

Runtime::Runtime(std::shared_ptr<RuntimeCore> core) : core_(std::move(core)) {}
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&& other) noexcept {
  if (this != &other) {
    if (core_) core_->shutdown(std::chrono::seconds(3));
    core_ = std::move(other.core_);
  }
  return *this;
}
Runtime::~Runtime() {
  if (core_) core_->shutdown(std::chrono::seconds(3));
}

void Runtime::shutdown(std::chrono::milliseconds timeout) {
  if (core_) core_->shutdown(timeout);
}

asio::awaitable<Result<Endpoint>> Runtime::create_endpoint(EndpointConfig config) {
  auto core = core_;
  if (!core) co_return Status(StatusCode::kFailedPrecondition, "runtime moved from");
  std::vector<aster_iroh_bytes> alpns;
  for (auto& a : config.alpns) {
    alpns.push_back({reinterpret_cast<const uint8_t*>(a.data()), a.size()});
  }
  aster_iroh_endpoint_cfg cfg{};
  cfg.struct_size = sizeof cfg;
  if (config.secret_key) {
    cfg.flags |= ASTER_IROH_EP_SECRET_KEY;
    std::copy(config.secret_key->begin(), config.secret_key->end(), cfg.secret_key);
  }
  if (config.gate) cfg.flags |= ASTER_IROH_EP_GATE;
  if (config.portmapper) cfg.flags |= ASTER_IROH_EP_PORTMAPPER;
  switch (config.relay_mode) {
    case RelayMode::kDisabled:
      cfg.relay_mode = ASTER_IROH_RELAY_DISABLED;
      break;
    case RelayMode::kDefault:
      cfg.relay_mode = ASTER_IROH_RELAY_DEFAULT;
      break;
    case RelayMode::kStaging:
      cfg.relay_mode = ASTER_IROH_RELAY_STAGING;
      break;
    case RelayMode::kCustom:
      cfg.relay_mode = ASTER_IROH_RELAY_CUSTOM;
      break;
  }
  cfg.max_bidi_streams = config.max_bidi_streams;
  cfg.hook_timeout_ms = static_cast<uint32_t>(config.hook_timeout.count());
  cfg.idle_timeout_ms = static_cast<uint32_t>(config.idle_timeout.count());
  cfg.bind_v4 = config.bind_v4.empty() ? nullptr : config.bind_v4.c_str();
  cfg.relay_url = config.relay_url.empty() ? nullptr : config.relay_url.c_str();
  cfg.alpns = alpns.data();
  cfg.alpns_len = alpns.size();
  BridgeEvent ev = co_await core->async_op(
      [&](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_endpoint_create(rt, &cfg, ud, op);
      },
      asio::use_awaitable);
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  if (config.gate) core->set_gate(ev.h1, std::move(config.gate));
  co_return Endpoint(core, ev.h1);
}

// ---- Endpoint -------------------------------------------------------------------------------

Endpoint::Endpoint(std::shared_ptr<RuntimeCore> core, uint64_t handle)
    : core_(std::move(core)), handle_(handle) {}
Endpoint::Endpoint(Endpoint&& other) noexcept
    : core_(std::move(other.core_)), handle_(std::exchange(other.handle_, 0)) {}
Endpoint& Endpoint::operator=(Endpoint&& other) noexcept {
  if (this != &other) {
    this->~Endpoint();
    core_ = std::move(other.core_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}
Endpoint::~Endpoint() {
  if (core_ && handle_) {
    // Gates live on the io thread; the map entry is dropped with the runtime at the latest.
    uint64_t h = handle_;
    core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_endpoint_free(rt, h); }, int32_t{0});
  }
  handle_ = 0;
}

std::string Endpoint::id() const {
  char out[65] = {};
  if (!core_) return {};
  core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_endpoint_id(rt, handle_, out); },
                 int32_t{0});
  return out;
}

std::string Endpoint::address_text() const {
  if (!core_) return {};
  std::string buf(512, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    size_t len = 0;
    int32_t st = core_->with_rt(
        [&](aster_iroh_rt* rt) {
          return aster_iroh_endpoint_addr(rt, handle_, buf.data(), buf.size(), &len);
        },
        int32_t{ASTER_IROH_NOT_FOUND});
    if (st == ASTER_IROH_OK) {
      buf.resize(len);
      return buf;
    }
    if (st != ASTER_IROH_BUFFER_TOO_SMALL) return {};
    buf.resize(len);
  }
  return {};
}

EndpointAddr Endpoint::address() const {
  // The bridge writes what iroh reports, so it always parses; an invalid endpoint gives {}.
  auto parsed = EndpointAddr::from_node_addr_text(address_text());
  return parsed ? *parsed : EndpointAddr{};
}

std::array<uint8_t, 32> Endpoint::secret_key() const {
  std::array<uint8_t, 32> key{};
  if (core_) {
    core_->with_rt(
        [&](aster_iroh_rt* rt) { return aster_iroh_endpoint_secret(rt, handle_, key.data()); },
        int32_t{0});
  }
  return key;
}

namespace {
Connection connection_from(std::shared_ptr<RuntimeCore> core, const BridgeEvent& ev) {
  std::string remote, alpn;
  if (ev.payload.size() >= 32) {
    remote = detail::hex(reinterpret_cast<const uint8_t*>(ev.payload.data()), 32);
    alpn = ev.payload.substr(32);
  }
  return Connection(std::move(core), ev.h1, std::move(remote), std::move(alpn));
}
}  // namespace

asio::awaitable<Result<Connection>> Endpoint::connect(EndpointAddr peer, std::string alpn,
                                                      std::chrono::milliseconds timeout) {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "endpoint not valid");
  const std::string id_hex = peer.id.to_hex();
  std::vector<std::string> addr_text;
  for (const auto& a : peer.direct_addresses) addr_text.push_back(to_string(a));
  std::vector<const char*> addrs;
  for (const auto& a : addr_text) addrs.push_back(a.c_str());
  aster_iroh_connect_cfg cfg{};
  cfg.struct_size = sizeof cfg;
  cfg.timeout_ms = static_cast<uint32_t>(timeout.count());
  cfg.endpoint_id = id_hex.c_str();
  cfg.relay_url = peer.relay_url.empty() ? nullptr : peer.relay_url.c_str();
  cfg.addrs = addrs.data();
  cfg.addrs_len = addrs.size();
  cfg.alpn = {reinterpret_cast<const uint8_t*>(alpn.data()), alpn.size()};
  BridgeEvent ev = co_await core->async_op(
      [&](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_connect(rt, h, &cfg, ud, op);
      },
      asio::use_awaitable);
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return connection_from(core, ev);
}

asio::awaitable<Result<Connection>> Endpoint::accept() {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "endpoint not valid");
  BridgeEvent ev = co_await core->async_op(
      [h](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_accept_next(rt, h, ud, op);
      },
      asio::use_awaitable);
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return connection_from(core, ev);
}

asio::awaitable<Status> Endpoint::close() {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "endpoint not valid");
  BridgeEvent ev = co_await core->async_op(
      [h](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_endpoint_close(rt, h, ud, op);
      },
      asio::use_awaitable);
  co_return detail::status_of(ev);
}

// ---- Connection -----------------------------------------------------------------------------

Connection::Connection(std::shared_ptr<RuntimeCore> core, uint64_t handle, std::string remote_id,
                       std::string alpn)
    : core_(std::move(core)),
      handle_(handle),
      remote_id_(std::move(remote_id)),
      alpn_(std::move(alpn)) {}
Connection::Connection(Connection&& other) noexcept
    : core_(std::move(other.core_)),
      handle_(std::exchange(other.handle_, 0)),
      remote_id_(std::move(other.remote_id_)),
      alpn_(std::move(other.alpn_)) {}
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    this->~Connection();
    core_ = std::move(other.core_);
    handle_ = std::exchange(other.handle_, 0);
    remote_id_ = std::move(other.remote_id_);
    alpn_ = std::move(other.alpn_);
  }
  return *this;
}
Connection::~Connection() {
  if (core_ && handle_) {
    uint64_t h = handle_;
    core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_conn_free(rt, h); }, int32_t{0});
  }
  handle_ = 0;
}

namespace {
asio::awaitable<Result<BidiStream>> stream_op(std::shared_ptr<RuntimeCore> core, uint64_t h,
                                              bool open) {
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "connection not valid");
  BridgeEvent ev = co_await core->async_op(
      [h, open](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return open ? aster_iroh_open_bi(rt, h, ud, op) : aster_iroh_accept_bi(rt, h, ud, op);
      },
      asio::use_awaitable);
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return BidiStream{SendStream(core, ev.h1), RecvStream(core, ev.h2)};
}
}  // namespace

asio::awaitable<Result<BidiStream>> Connection::open_bi() {
  return stream_op(core_, handle_, true);
}
asio::awaitable<Result<BidiStream>> Connection::accept_bi() {
  return stream_op(core_, handle_, false);
}

Status Connection::close(uint64_t code, std::string_view reason) {
  if (!core_ || !handle_) return Status(StatusCode::kFailedPrecondition, "connection not valid");
  uint64_t h = handle_;
  return detail::status_of_submit(core_->with_rt(
      [&](aster_iroh_rt* rt) {
        return aster_iroh_conn_close(rt, h, code, reinterpret_cast<const uint8_t*>(reason.data()),
                                     reason.size());
      },
      int32_t{ASTER_IROH_CANCELLED}));
}

asio::awaitable<CloseInfo> Connection::closed() {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return CloseInfo{CloseKind::kOther, 0, "connection not valid"};
  BridgeEvent ev = co_await core->async_op(
      [h](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_conn_closed(rt, h, ud, op);
      },
      asio::use_awaitable);
  CloseInfo info;
  info.code = ev.code;
  info.reason = ev.payload;
  switch (ev.status) {
    case ASTER_IROH_CONN_APP_CLOSED:
      info.kind = CloseKind::kApplication;
      break;
    case ASTER_IROH_CONN_TRANSPORT_CLOSED:
      info.kind = CloseKind::kTransport;
      break;
    case ASTER_IROH_CONN_RESET:
      info.kind = CloseKind::kReset;
      break;
    case ASTER_IROH_CONN_TIMED_OUT:
      info.kind = CloseKind::kTimedOut;
      break;
    case ASTER_IROH_CONN_LOCALLY_CLOSED:
      info.kind = CloseKind::kLocallyClosed;
      break;
    default:
      info.kind = CloseKind::kOther;
      break;
  }
  co_return info;
}

}  // namespace aster::transport
