// Runtime, Endpoint and Connection over the bridge C ABI (bridge/include/aster_iroh.h).
// Coroutines copy what they need from `this` before the first suspension (detail::run_on),
// so moving the handle object while an operation is pending is harmless.
#include "aster/transport/endpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <asio/executor_work_guard.hpp>
#include <asio/use_awaitable.hpp>

#include "runtime_core.hpp"

namespace aster::transport {

using detail::BridgeEvent;
using detail::RuntimeCore;

// ---- Configuration --------------------------------------------------------------------------

Status apply_relay_mode_from_env(EndpointConfig& config) {
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
  const char* ca = std::getenv("ASTER_RELAY_CA");
  if (ca != nullptr && *ca != '\0') {
    auto certs = read_ca_certificates(ca);
    if (!certs.is_ok()) {
      return Status(certs.status().code(), "ASTER_RELAY_CA=" + certs.status().message());
    }
    for (auto& c : *certs) config.relay_ca_roots.push_back(std::move(c));
  }
  return Status::ok();
}

// ---- Runtime --------------------------------------------------------------------------------

Result<Runtime> Runtime::create(asio::io_context& io, Options options) {
  if (aster_iroh_abi_version() != ASTER_IROH_ABI_VERSION) {
    return Status(StatusCode::kFailedPrecondition, "aster_iroh library/header ABI mismatch");
  }
  aster_iroh_runtime_cfg cfg{};
  cfg.struct_size = sizeof cfg;
  cfg.worker_threads = options.worker_threads;
  switch (options.shape) {
    case Runtime::Shape::kCurrentThread:
      cfg.flavor = ASTER_IROH_RT_CURRENT_THREAD;
      break;
    case Runtime::Shape::kMultiThread:
      cfg.flavor = ASTER_IROH_RT_MULTI_THREAD;
      break;
    case Runtime::Shape::kSharedThread:
      cfg.flavor = ASTER_IROH_RT_CALLER_DRIVEN;
      break;
  }
  if (options.defer_stream_ops) cfg.flags |= ASTER_IROH_RT_DEFER_STREAM_OPS;
  const bool spins = options.shape == Runtime::Shape::kCurrentThread && options.spin.count() > 0;
  if (spins) cfg.spin_us = static_cast<uint32_t>(options.spin.count());
  aster_iroh_rt* rt = nullptr;
  if (int32_t st = aster_iroh_runtime_new(&cfg, &rt); st != ASTER_IROH_OK) {
    return detail::status_of_submit(st);
  }
  auto core = std::make_shared<RuntimeCore>(io, rt, spins ? options.spin : std::chrono::microseconds{0},
                                            options.defer_stream_ops && options.hold_batches,
                                            options.drive_batch, options.drive_batch_always);
  // A caller-driven runtime never signals the event fd (drive() and turn() poll the queue
  // themselves), so watching it would only keep Asio's reactor in every io_context::poll():
  // one epoll_wait per drive round for nothing (docs/transport.md "Thread shape").
  if (options.shape != Runtime::Shape::kSharedThread) core->start();
  return Runtime(std::move(core), options.shape);
}

Runtime::Runtime(std::shared_ptr<RuntimeCore> core, Shape shape)
    : core_(std::move(core)), shape_(shape) {}

Status Runtime::turn(std::chrono::microseconds wait) {
  if (!core_) return Status(StatusCode::kFailedPrecondition, "runtime moved from");
  const auto us = static_cast<uint32_t>(wait.count());
  auto core = core_;  // a completion resumed by drain() may destroy this Runtime
  Status st = detail::status_of_submit(core->with_rt(
      [&](aster_iroh_rt* rt) { return aster_iroh_runtime_turn(rt, us); },
      int32_t{ASTER_IROH_CANCELLED}));
  // This flavour does not signal the event fd: drain here, on the same thread.
  core->note_turned();
  core->drain();
  return st;
}
Status Runtime::drive(const std::function<long()>& step, std::chrono::microseconds idle_wait) {
  if (!core_) return Status(StatusCode::kFailedPrecondition, "runtime moved from");
  if (shape_ != Shape::kSharedThread) {
    return Status(StatusCode::kFailedPrecondition, "drive() needs Shape::kSharedThread");
  }
  auto core = core_;  // a step may destroy this Runtime; its shutdown waits for the drive
  return core->drive(step, idle_wait);
}

Status Runtime::run() {
  if (!core_) return Status(StatusCode::kFailedPrecondition, "runtime moved from");
  asio::io_context& io = asio::query(core_->executor(), asio::execution::context);
  if (shape_ != Shape::kSharedThread) {
    io.run();
    return Status::ok();
  }
  // Operations waiting in the bridge are no work to Asio: without the guard, poll() would
  // stop the io_context the moment every coroutine waits on the network.
  auto work = asio::make_work_guard(io);
  return drive([&io]() -> long {
    if (io.stopped()) return -1;
    const size_t ran = io.poll();
    return io.stopped() ? -1 : static_cast<long>(ran);
  });
}

void Runtime::wake() {
  if (!core_ || shape_ != Shape::kSharedThread) return;
  (void)core_->with_rt([](aster_iroh_rt* rt) { return aster_iroh_runtime_wake(rt); },
                       int32_t{0});
}

bool Runtime::rounds_capped() const {
  return core_ && shape_ == Shape::kSharedThread && core_->rounds_capped();
}

Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&& other) noexcept {
  if (this != &other) {
    if (core_) core_->shutdown(std::chrono::seconds(3));
    core_ = std::move(other.core_);
    shape_ = other.shape_;
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
  if (shape_ == Shape::kSharedThread && !core->loop_running()) {
    // io_context::run() alone never runs a caller-driven bridge: every operation would wait
    // forever. Say so instead.
    co_return Status(StatusCode::kFailedPrecondition,
                     "a kSharedThread runtime's io_context must run through Runtime::run() "
                     "(or drive()), not io_context::run()");
  }
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
  if (config.serve_content) cfg.flags |= ASTER_IROH_EP_CONTENT;
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
  std::vector<aster_iroh_bytes> roots;
  for (auto& r : config.relay_ca_roots) {
    roots.push_back({reinterpret_cast<const uint8_t*>(r.data()), r.size()});
  }
  cfg.relay_ca_roots = roots.data();
  cfg.relay_ca_roots_len = roots.size();
  BridgeEvent ev = co_await core->run(
      [&](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
        return aster_iroh_endpoint_create(rt, &cfg, ud, op);
      });
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  if (config.gate) core->set_gate(ev.h1, std::move(config.gate));
  Endpoint endpoint(detail::BridgeHandle(core, ev.h1, detail::HandleKind::kEndpoint));
  if (auto id = endpoint.id()) core->note_endpoint(ev.h1, *id);
  co_return endpoint;
}

// ---- Endpoint -------------------------------------------------------------------------------

Endpoint::Endpoint(detail::BridgeHandle handle) : handle_(std::move(handle)) {}
Endpoint::Endpoint(Endpoint&& other) noexcept = default;
Endpoint& Endpoint::operator=(Endpoint&& other) noexcept {
  if (this != &other) {
    stop_accepting();
    handle_ = std::move(other.handle_);
    incoming_ = std::move(other.incoming_);
  }
  return *this;
}
Endpoint::~Endpoint() {
  stop_accepting();
}

void Endpoint::stop_accepting() {
  if (incoming_) incoming_->close();
  incoming_.reset();
}

Result<EndpointId> Endpoint::id() const {
  EndpointId id;
  ASTER_RETURN_IF_ERROR(detail::call_on(handle_, "endpoint", [&](aster_iroh_rt* rt, uint64_t h) {
    return aster_iroh_endpoint_id(rt, h, id.bytes.data());
  }));
  return id;
}

namespace {
SocketAddress socket_address_of(const aster_iroh_sockaddr& a) {
  if (a.family == 6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(a.ip, a.ip + 16, b.begin());
    return SocketAddress(asio::ip::address_v6(b), a.port);
  }
  return SocketAddress(asio::ip::address_v4({a.ip[0], a.ip[1], a.ip[2], a.ip[3]}), a.port);
}

}  // namespace

aster_iroh_sockaddr detail::bridge_address_of(const SocketAddress& s) {
  aster_iroh_sockaddr a{};
  a.port = s.port();
  if (s.address().is_v6()) {
    auto b = s.address().to_v6().to_bytes();
    std::copy(b.begin(), b.end(), a.ip);
    a.family = 6;
  } else {
    auto b = s.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), a.ip);
    a.family = 4;
  }
  return a;
}

Result<EndpointAddr> Endpoint::address() const {
  std::string relay(256, '\0');
  std::vector<aster_iroh_sockaddr> addrs(8);
  aster_iroh_addr_out out{};
  for (int attempt = 0; attempt < 2; ++attempt) {
    out = aster_iroh_addr_out{};
    out.struct_size = sizeof out;
    out.relay_url = relay.data();
    out.relay_cap = relay.size();
    out.addrs = addrs.data();
    out.addrs_cap = addrs.size();
    Status st = detail::call_on(handle_, "endpoint", [&](aster_iroh_rt* rt, uint64_t h) {
      return aster_iroh_endpoint_addr(rt, h, &out);
    });
    if (st.is_ok()) break;
    if (st.code() != StatusCode::kOutOfRange || attempt == 1) return st;  // BUFFER_TOO_SMALL
    relay.resize(out.relay_len);
    addrs.resize(out.addrs_len);
  }
  EndpointAddr a;
  std::copy(std::begin(out.id), std::end(out.id), a.id.bytes.begin());
  a.relay_url.assign(relay.data(), out.relay_len);
  for (size_t i = 0; i < out.addrs_len; ++i) {
    a.direct_addresses.push_back(socket_address_of(addrs[i]));
  }
  return a;
}

Result<std::array<uint8_t, 32>> Endpoint::secret_key() const {
  std::array<uint8_t, 32> key{};
  ASTER_RETURN_IF_ERROR(detail::call_on(handle_, "endpoint", [&](aster_iroh_rt* rt, uint64_t h) {
    return aster_iroh_endpoint_secret(rt, h, key.data());
  }));
  return key;
}

namespace {
Connection connection_from(const std::shared_ptr<RuntimeCore>& core, const BridgeEvent& ev);
}  // namespace

asio::awaitable<Result<Connection>> Endpoint::connect(EndpointAddr peer, std::string alpn,
                                                      std::chrono::milliseconds timeout) {
  std::vector<aster_iroh_sockaddr> addrs;
  for (const auto& a : peer.direct_addresses) addrs.push_back(detail::bridge_address_of(a));
  aster_iroh_connect_cfg cfg{};
  cfg.struct_size = sizeof cfg;
  cfg.timeout_ms = static_cast<uint32_t>(timeout.count());
  std::copy(peer.id.bytes.begin(), peer.id.bytes.end(), cfg.endpoint_id);
  cfg.relay_url = peer.relay_url.empty() ? nullptr : peer.relay_url.c_str();
  cfg.addrs = addrs.data();
  cfg.addrs_len = addrs.size();
  cfg.alpn = {reinterpret_cast<const uint8_t*>(alpn.data()), alpn.size()};
  auto core = handle_.core();
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(handle_, "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_connect(rt, h, &cfg, ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return connection_from(core, ev);
}

asio::awaitable<Result<Connection>> Endpoint::accept() {
  if (!handle_) co_return Status(StatusCode::kFailedPrecondition, "endpoint not valid");
  auto core = handle_.core();
  if (!incoming_) {
    const uint64_t h = handle_.id();
    incoming_ = core->start_inbox(
        [h](aster_iroh_rt* rt, uint32_t window, uint64_t ud, aster_iroh_op* op) {
          return aster_iroh_accept_each(rt, h, window, ud, op);
        },
        [weak = std::weak_ptr<RuntimeCore>(core)](BridgeEvent&& ev) {
          if (auto c = weak.lock()) (void)connection_from(c, ev);  // frees the handle
        });
  }
  auto inbox = incoming_;  // the endpoint may be moved or destroyed while this waits
  ASTER_CO_ASSIGN_OR_RETURN(BridgeEvent ev, co_await inbox->next());
  co_return connection_from(core, ev);
}

asio::awaitable<Status> Endpoint::close() {
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(
          handle_, "endpoint",
          [](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
            return aster_iroh_endpoint_close(rt, h, ud, op);
          }));
  co_return detail::status_of(ev);
}

// ---- Connection -----------------------------------------------------------------------------

namespace {
Connection connection_from(const std::shared_ptr<RuntimeCore>& core, const BridgeEvent& ev) {
  EndpointId remote;
  std::string alpn;
  if (ev.payload.size() >= 32) {
    std::copy(ev.payload.begin(), ev.payload.begin() + 32, remote.bytes.begin());
    alpn = std::string_view(ev.payload).substr(32);
  }
  core->note_connection(ev.h1, remote);
  return detail::HandleAccess::connection(
      detail::BridgeHandle(core, ev.h1, detail::HandleKind::kConnection), remote, std::move(alpn));
}
}  // namespace

Connection::Connection(detail::BridgeHandle handle, EndpointId remote_id, std::string alpn)
    : handle_(std::move(handle)), remote_id_(remote_id), alpn_(std::move(alpn)) {}
Connection::Connection(Connection&& other) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    stop_accepting();
    handle_ = std::move(other.handle_);
    remote_id_ = other.remote_id_;
    alpn_ = std::move(other.alpn_);
    incoming_ = std::move(other.incoming_);
  }
  return *this;
}
Connection::~Connection() {
  stop_accepting();
}

void Connection::stop_accepting() {
  if (incoming_) incoming_->close();
  incoming_.reset();
}

BidiStream Connection::bidi(uint64_t send, uint64_t recv) const {
  return BidiStream{SendStream(detail::BridgeHandle(handle_.core(), send, detail::HandleKind::kSend)),
                    RecvStream(detail::BridgeHandle(handle_.core(), recv, detail::HandleKind::kRecv))};
}

asio::awaitable<Result<BidiStream>> Connection::open_bi() {
  return open_bi_with({});
}

asio::awaitable<Result<BidiStream>> Connection::open_bi_with(std::span<const uint8_t> data) {
  const uint32_t flags = data.empty() ? 0 : ASTER_IROH_SEND_FIN;
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(handle_, "connection",
                              [data, flags](aster_iroh_rt* rt, uint64_t h, uint64_t ud,
                                            aster_iroh_op* op, aster_iroh_event* now) {
                                return aster_iroh_open_bi_send(rt, h, data.data(), data.size(),
                                                               flags, ud, op, now);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  BidiStream s = bidi(ev.h1, ev.h2);
  if (flags & ASTER_IROH_SEND_FIN) s.send.done_ = true;
  co_return s;
}

asio::awaitable<Result<std::optional<BidiStream>>> Connection::try_open_bi_with(
    std::span<const uint8_t> data) {
  const uint32_t flags = ASTER_IROH_OPEN_NOWAIT | (data.empty() ? 0 : ASTER_IROH_SEND_FIN);
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(handle_, "connection",
                              [data, flags](aster_iroh_rt* rt, uint64_t h, uint64_t ud,
                                            aster_iroh_op* op, aster_iroh_event* now) {
                                return aster_iroh_open_bi_send(rt, h, data.data(), data.size(),
                                                               flags, ud, op, now);
                              }));
  if (ev.status == ASTER_IROH_BUSY) co_return std::optional<BidiStream>();
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  BidiStream s = bidi(ev.h1, ev.h2);
  if (flags & ASTER_IROH_SEND_FIN) s.send.done_ = true;
  co_return std::optional<BidiStream>(std::move(s));
}

namespace {
// aster_iroh_open_bi_call for a request and its FIN, started (detail::start_on: run_on's
// steps without a coroutine frame of their own; this opens every call).
detail::StartedOp start_call(const detail::BridgeHandle& conn, std::span<const uint8_t> data,
                             size_t reply_max, uint64_t cancel_code,
                             const asio::cancellation_state& state) {
  constexpr uint32_t kFlags = ASTER_IROH_OPEN_NOWAIT | ASTER_IROH_SEND_FIN;
  return detail::start_on(
      conn, "connection", state,
      [data, reply_max, cancel_code](aster_iroh_rt* rt, uint64_t h, uint64_t ud,
                                     aster_iroh_op* op, aster_iroh_event*) {
        return aster_iroh_open_bi_call(rt, h, data.data(), data.size(), kFlags, reply_max,
                                       cancel_code, ud, op);
      });
}
}  // namespace

Chunk Connection::whole_answer(std::shared_ptr<RuntimeCore> core, const BridgeEvent& ev) {
  Chunk whole;
  whole.fin_ = true;
  if (ev.lease != 0) {
    whole.lease_ = detail::BridgeHandle(std::move(core), ev.lease, detail::HandleKind::kLease);
    whole.data_ = ev.lease_data;
    whole.size_ = ev.lease_len;
  }
  return whole;
}

Result<OpenedCall> Connection::opened_call(const std::shared_ptr<RuntimeCore>& core,
                                           Result<BridgeEvent> got) {
  ASTER_ASSIGN_OR_RETURN(BridgeEvent ev, std::move(got));
  OpenedCall opened;
  if (ev.status == ASTER_IROH_BUSY) return opened;
  if (ev.status != ASTER_IROH_OK) return detail::status_of(ev);
  if ((ev.code & ASTER_IROH_ACCEPT_FIN) != 0) {
    // The whole answer: the bridge dropped both halves (ABI 13: the request went out with its
    // FIN, the answer was read to its FIN), and the bytes are kept as a Chunk. The stream
    // objects cost more than the rest of this function (a BridgeHandle each, their moves out
    // of the coroutine, their destructors), and their handles a table entry each in the bridge.
    opened.answer.emplace(whole_answer(core, ev));
    return opened;
  }
  BidiStream s{SendStream(detail::BridgeHandle(core, ev.h1, detail::HandleKind::kSend)),
               RecvStream(detail::BridgeHandle(core, ev.h2, detail::HandleKind::kRecv))};
  s.send.done_ = true;
  // The answer's first bytes, as an accepted stream's request.
  s.recv.hold_first(ev, core);
  opened.stream.emplace(std::move(s));
  return opened;
}

asio::awaitable<Result<OpenedCall>> Connection::try_open_bi_call(
    std::span<const uint8_t> data, size_t reply_max, uint64_t cancel_code) {
  // Not a coroutine: the caller's coroutine waits in the runtime's slot itself
  // (RuntimeCore::wait_call), with no frame of this function's between them. Asio runs the
  // initiation when the caller first awaits the result, as it would have started a coroutine.
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<OpenedCall>)>(
      [this, data, reply_max, cancel_code](RuntimeCore::OpenCallHandler handler) {
        // The caller's cancellation state, as `co_await this_coro::cancellation_state` gives
        // it (asio/impl/awaitable.hpp, awaitable_thread::get_cancellation_state): a call
        // started once cancelled is not submitted (detail::start_on).
        const asio::cancellation_state state = handler.get_cancellation_state();
        detail::StartedOp op = start_call(handle_, data, reply_max, cancel_code, state);
        if (op.pending) {
          op.core->wait_call(*op.pending, std::move(handler));
          return;
        }
        // Known at once (no stream credit, or an error): completed through the caller's
        // executor, not from inside the initiation.
        auto ex = asio::get_associated_executor(handler);
        asio::post(ex, [h = std::move(handler),
                        opened = opened_call(handle_.core(), std::move(op.done))]() mutable {
          std::move(h)(std::move(opened));
        });
      },
      asio::use_awaitable);
}

asio::awaitable<Result<std::optional<Chunk>>> Connection::try_call(
    std::span<const uint8_t> request, size_t answer_limit, uint64_t cancel_code) {
  // try_open_bi_call's way: not a coroutine, the caller's coroutine waits in the runtime's slot
  // and the event becomes the answer there (RuntimeCore::wait_answer, complete_call).
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<std::optional<Chunk>>)>(
      [this, request, answer_limit, cancel_code](RuntimeCore::CallHandler handler) {
        // start_on's steps written out: the runtime is this connection's, alive while the
        // initiation runs, so no reference to it is taken for the wait (the slot is in it).
        const asio::cancellation_state state = handler.get_cancellation_state();
        detail::StartedOp op;
        if (handle_ && state.cancelled() == asio::cancellation_type::none) {
          RuntimeCore& core = *handle_.core();
          const uint64_t h = handle_.id();
          const size_t reply_max = std::min(answer_limit, kAcceptFirstBytes);
          auto submit = [&](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* out, aster_iroh_event*) {
            return aster_iroh_open_bi_call(rt, h, request.data(), request.size(),
                                           ASTER_IROH_OPEN_NOWAIT | ASTER_IROH_SEND_FIN,
                                           reply_max, cancel_code, ud, out);
          };
          const RuntimeCore::Submission s = core.submit_now(submit);
          if (s.status == ASTER_IROH_OK) {
            core.wait_answer(s, std::move(handler), answer_limit);
            return;
          }
          op.done = RuntimeCore::rejected(s.status);  // never DONE: the answer is the peer's
        } else {
          op = start_call(handle_, request, answer_limit, cancel_code, state);  // the refusal
        }
        // Known at once (no stream credit, or an error; never an answer, which comes from the
        // peer): completed through the caller's executor, not from inside the initiation.
        Result<std::optional<Chunk>> now = std::optional<Chunk>();
        Result<OpenedCall> opened = opened_call(handle_.core(), std::move(op.done));
        if (!opened) now = opened.status();
        auto ex = asio::get_associated_executor(handler);
        asio::post(ex, [h = std::move(handler), now = std::move(now)]() mutable {
          std::move(h)(std::move(now));
        });
      },
      asio::use_awaitable);
}

detail::Inbox& Connection::incoming() {
  if (!incoming_) {
    const uint64_t h = handle_.id();
    auto core = handle_.core();
    incoming_ = core->start_inbox(
        [h](aster_iroh_rt* rt, uint32_t window, uint64_t ud, aster_iroh_op* op) {
          return aster_iroh_accept_bi_each_read(rt, h, window, kAcceptFirstBytes, ud, op);
        },
        [weak = std::weak_ptr<RuntimeCore>(core)](BridgeEvent&& ev) {
          // Nobody will serve this stream: reset and free both halves and its first bytes.
          if (auto c = weak.lock()) {
            c->with_rt(
                [&](aster_iroh_rt* rt) {
                  aster_iroh_reset(rt, ev.h1, SendStream::kResetOnDestroy);
                  aster_iroh_send_free(rt, ev.h1);
                  if (ev.lease != 0) aster_iroh_lease_release(rt, ev.lease);
                  // h2 = 0: the request came whole and the bridge dropped its half (ABI 14).
                  return ev.h2 != 0 ? aster_iroh_recv_free(rt, ev.h2) : int32_t{ASTER_IROH_OK};
                },
                int32_t{0});
          }
        });
  }
  return *incoming_;
}

Result<BidiStream> Connection::accepted_bi(const std::shared_ptr<RuntimeCore>& core,
                                           BridgeEvent ev) {
  if (ev.h2 == 0 && (ev.code & ASTER_IROH_ACCEPT_FIN) != 0) {
    // The request came whole with its FIN and the bridge dropped the recv half (ABI 14).
    return BidiStream{SendStream(detail::BridgeHandle(core, ev.h1, detail::HandleKind::kSend)),
                      RecvStream::ended_with(ev, core)};
  }
  BidiStream s{SendStream(detail::BridgeHandle(core, ev.h1, detail::HandleKind::kSend)),
               RecvStream(detail::BridgeHandle(core, ev.h2, detail::HandleKind::kRecv))};
  s.recv.hold_first(ev, core);
  return s;
}

std::optional<Result<BidiStream>> Connection::accept_bi_now() {
  if (!handle_) return Result<BidiStream>(Status(StatusCode::kFailedPrecondition,
                                                 "connection not valid"));
  std::optional<Result<BridgeEvent>> now = incoming().take_now();
  if (!now) return std::nullopt;
  if (!*now) return Result<BidiStream>(now->status());
  return accepted_bi(handle_.core(), std::move(**now));
}

asio::awaitable<Result<BidiStream>> Connection::accept_bi() {
  // Not a coroutine: the caller's coroutine waits in the inbox itself (Inbox::wait_accept),
  // and the delivered event becomes its stream there.
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<BidiStream>)>(
      [this](detail::Inbox::AcceptHandler handler) {
        std::optional<Result<BidiStream>> now = accept_bi_now();
        if (!now) {
          incoming().wait_accept(std::move(handler));
          return;
        }
        // Here already (or accepting ended): completed through the caller's executor, not
        // from inside the initiation (accept_bi_now takes it without either).
        auto ex = asio::get_associated_executor(handler);
        asio::post(ex, [h = std::move(handler), s = std::move(*now)]() mutable {
          std::move(h)(std::move(s));
        });
      },
      asio::use_awaitable);
}

size_t Connection::queued_incoming() const {
  return incoming_ ? incoming_->queued() : 0;
}

Status Connection::close(uint64_t code, std::string_view reason) {
  return detail::call_on(handle_, "connection", [&](aster_iroh_rt* rt, uint64_t h) {
    return aster_iroh_conn_close(rt, h, code, reinterpret_cast<const uint8_t*>(reason.data()),
                                 reason.size());
  });
}

asio::awaitable<CloseInfo> Connection::closed() {
  auto r = co_await detail::run_on(
      handle_, "connection",
      [](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
        return aster_iroh_conn_closed(rt, h, ud, op);
      });
  if (!r) co_return CloseInfo{CloseKind::kOther, 0, r.status().message()};
  const BridgeEvent& ev = *r;
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

// ---- Connection path ------------------------------------------------------------------------

std::string_view to_string(ConnectionPath::Kind kind) {
  switch (kind) {
    case ConnectionPath::Kind::kDirect:
      return "direct";
    case ConnectionPath::Kind::kRelay:
      return "relay";
    case ConnectionPath::Kind::kNone:
      break;
  }
  return "none";
}

std::string ConnectionPath::to_string() const {
  std::string out(transport::to_string(kind));
  if (kind == Kind::kDirect) {
    out += ' ';
    out += transport::to_string(address);
  } else if (kind == Kind::kRelay) {
    out += ' ';
    out += relay_url;
  }
  return out;
}

std::string ConnectionPath::describe() const {
  std::string out = to_string();
  if (rtt && kind != Kind::kNone) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " (rtt %.1f ms)", static_cast<double>(rtt->count()) / 1000.0);
    out += buf;
  }
  return out;
}

bool ConnectionPath::same_route(const ConnectionPath& other) const {
  if (kind != other.kind) return false;
  if (kind == Kind::kDirect) return address == other.address;
  if (kind == Kind::kRelay) return relay_url == other.relay_url;
  return true;
}

namespace {

ConnectionPath::Kind path_kind_of(uint64_t kind) {
  switch (kind) {
    case ASTER_IROH_PATH_DIRECT:
      return ConnectionPath::Kind::kDirect;
    case ASTER_IROH_PATH_RELAY:
      return ConnectionPath::Kind::kRelay;
    default:
      return ConnectionPath::Kind::kNone;
  }
}

uint64_t u64_le(std::string_view p, size_t at) {
  uint64_t v = 0;
  for (size_t i = 8; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(p[at + i]);
  return v;
}

// A PATH event: code = kind; payload = u64 rtt_us, u64 µs since the watch started (LE), then
// the 20 bytes of an aster_iroh_sockaddr (direct) or the URL (relay)
// (bridge/include/aster_iroh.h aster_iroh_conn_path_watch).
Result<PathChange> path_of_event(const BridgeEvent& ev,
                                 std::chrono::steady_clock::time_point started) {
  constexpr size_t kHead = 16;
  const std::string_view p = ev.payload;
  if (p.size() < kHead) return Status(StatusCode::kInternal, "PATH event without its payload");
  PathChange change;
  ConnectionPath& path = change.path;
  path.kind = path_kind_of(ev.code);
  if (const uint64_t rtt = u64_le(p, 0); rtt != 0) path.rtt = std::chrono::microseconds(rtt);
  change.at = started + std::chrono::microseconds(u64_le(p, 8));
  if (path.kind == ConnectionPath::Kind::kDirect) {
    if (p.size() < kHead + 20) return Status(StatusCode::kInternal, "PATH event: short address");
    aster_iroh_sockaddr a{};
    std::memcpy(a.ip, p.data() + kHead, 16);
    a.port = static_cast<uint16_t>(static_cast<uint8_t>(p[kHead + 16]) |
                                   static_cast<uint8_t>(p[kHead + 17]) << 8);
    a.family = static_cast<uint8_t>(p[kHead + 18]);
    path.address = socket_address_of(a);
  } else if (path.kind == ConnectionPath::Kind::kRelay) {
    path.relay_url = p.substr(kHead);
  }
  return change;
}

}  // namespace

Result<ConnectionPath> Connection::path() const {
  std::string relay(128, '\0');
  aster_iroh_path_out out{};
  for (int attempt = 0; attempt < 2; ++attempt) {
    out = aster_iroh_path_out{};
    out.struct_size = sizeof out;
    out.relay_url = relay.data();
    out.relay_cap = relay.size();
    Status st = detail::call_on(handle_, "connection", [&](aster_iroh_rt* rt, uint64_t h) {
      return aster_iroh_conn_path(rt, h, &out);
    });
    if (st.is_ok()) break;
    if (st.code() != StatusCode::kOutOfRange || attempt == 1) return st;  // BUFFER_TOO_SMALL
    relay.resize(out.relay_len);
  }
  ConnectionPath path;
  path.kind = path_kind_of(out.kind);
  if (out.rtt_us != 0) path.rtt = std::chrono::microseconds(out.rtt_us);
  if (path.kind == ConnectionPath::Kind::kDirect) path.address = socket_address_of(out.addr);
  if (path.kind == ConnectionPath::Kind::kRelay) path.relay_url.assign(relay.data(), out.relay_len);
  return path;
}

PathWatch Connection::watch_path() const {
  if (!handle_) return PathWatch();
  const uint64_t h = handle_.id();
  const auto started = std::chrono::steady_clock::now();  // the bridge counts from its call
  return PathWatch(handle_.core()->start_inbox(
                       [h](aster_iroh_rt* rt, uint32_t window, uint64_t ud, aster_iroh_op* op) {
                         return aster_iroh_conn_path_watch(rt, h, window, ud, op);
                       },
                       [](BridgeEvent&&) {}),  // a PATH event carries no handle
                   started);
}

PathWatch::PathWatch(std::shared_ptr<detail::Inbox> inbox,
                     std::chrono::steady_clock::time_point started)
    : inbox_(std::move(inbox)), started_(started) {}
PathWatch::PathWatch(PathWatch&&) noexcept = default;
PathWatch& PathWatch::operator=(PathWatch&& other) noexcept {
  if (this != &other) {
    close();
    inbox_ = std::move(other.inbox_);
    started_ = other.started_;
  }
  return *this;
}
PathWatch::~PathWatch() { close(); }

void PathWatch::close() {
  if (inbox_) inbox_->close();
  inbox_.reset();
}

asio::awaitable<Result<PathChange>> PathWatch::next() {
  if (!inbox_) co_return Status(StatusCode::kFailedPrecondition, "path watch not valid");
  auto inbox = inbox_;  // the watch may be moved or destroyed while this waits
  const auto started = started_;
  ASTER_CO_ASSIGN_OR_RETURN(BridgeEvent ev, co_await inbox->next());
  co_return path_of_event(ev, started);
}

}  // namespace aster::transport
