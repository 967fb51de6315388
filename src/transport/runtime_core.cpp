// EventDispatcher part of RuntimeCore: waits on the bridge eventfd, drains the completion
// queue and completes the awaiting operation matching each event's user_data (§4.3).
#include "runtime_core.hpp"

#include <vector>

namespace aster::transport::detail {

std::string hex(const uint8_t* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

namespace {
StatusCode code_for(int32_t st) {
  switch (st) {
    case ASTER_IROH_OK:
    case ASTER_IROH_FIN:
      return StatusCode::kOk;
    case ASTER_IROH_INVALID_ARG:
    case ASTER_IROH_PARSE:
      return StatusCode::kInvalidArgument;
    case ASTER_IROH_NOT_FOUND:
      return StatusCode::kNotFound;
    case ASTER_IROH_BUSY:
      return StatusCode::kFailedPrecondition;
    case ASTER_IROH_BUFFER_TOO_SMALL:
      return StatusCode::kOutOfRange;
    case ASTER_IROH_CANCELLED:
      return StatusCode::kCancelled;
    case ASTER_IROH_TIMEOUT:
      return StatusCode::kDeadlineExceeded;
    case ASTER_IROH_STREAM_RESET:
    case ASTER_IROH_STREAM_STOPPED:
    case ASTER_IROH_FINISHED_EARLY:
      return StatusCode::kAborted;
    case ASTER_IROH_CONN_APP_CLOSED:
    case ASTER_IROH_CONN_TRANSPORT_CLOSED:
    case ASTER_IROH_CONN_RESET:
    case ASTER_IROH_CONN_TIMED_OUT:
    case ASTER_IROH_CONN_LOCALLY_CLOSED:
    case ASTER_IROH_CONNECT_FAILED:
      return StatusCode::kUnavailable;
    case ASTER_IROH_REJECTED_LOCALLY:
      return StatusCode::kPermissionDenied;
    default:
      return StatusCode::kInternal;
  }
}
}  // namespace

Status status_of(const BridgeEvent& ev) {
  if (ev.status == ASTER_IROH_OK || ev.status == ASTER_IROH_FIN) return Status::ok();
  std::string msg = aster_iroh_status_name(ev.status);
  if (ev.code != 0 || ev.status == ASTER_IROH_CONN_APP_CLOSED ||
      ev.status == ASTER_IROH_STREAM_RESET || ev.status == ASTER_IROH_STREAM_STOPPED) {
    // Appended piecewise: GCC 12 -O2 warns (-Wrestrict, a known false positive) on
    // `"(" + std::string`.
    msg += '(';
    msg += std::to_string(ev.code);
    msg += ')';
  }
  if (!ev.payload.empty()) {
    msg += ": ";
    msg += ev.payload;
  }
  return Status(code_for(ev.status), std::move(msg));
}

Status status_of_submit(int32_t st) {
  if (st == ASTER_IROH_OK) return Status::ok();
  return Status(code_for(st), aster_iroh_status_name(st));
}

RuntimeCore::RuntimeCore(asio::io_context& io, aster_iroh_rt* rt)
    : executor_(io.get_executor()), fd_(io), rt_(rt) {}

RuntimeCore::~RuntimeCore() {
  shutdown(std::chrono::seconds(3));
}

void RuntimeCore::start() {
  fd_.assign(aster_iroh_runtime_event_fd(rt_));
  wait_readable();
}

void RuntimeCore::wait_readable() {
  fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                 [weak = weak_from_this()](std::error_code ec) {
                   auto self = weak.lock();
                   if (!self || ec) return;
                   self->drain();
                   if (self->fd_.is_open()) self->wait_readable();
                 });
}

void RuntimeCore::drain() {
  // aster_iroh_poll clears the eventfd when it empties the queue, so draining to 0 and
  // waiting again loses no wakeup (§4.3).
  aster_iroh_event evs[128];
  for (;;) {
    size_t n = with_rt([&](aster_iroh_rt* rt) { return aster_iroh_poll(rt, evs, 128); }, size_t{0});
    for (size_t i = 0; i < n; ++i) dispatch(evs[i]);
    if (n < 128) break;
  }
}

void RuntimeCore::dispatch(const aster_iroh_event& e) {
  if (e.kind == ASTER_IROH_EV_HOOK) {
    answer_hook(e);
    release_lease(e.lease);
    return;
  }
  BridgeEvent ev;
  ev.kind = e.kind;
  ev.status = e.status;
  ev.h1 = e.h1;
  ev.h2 = e.h2;
  ev.code = e.code;
  if (e.kind == ASTER_IROH_EV_READ && e.status == ASTER_IROH_OK) {
    ev.lease = e.lease;
    ev.lease_data = e.data;
    ev.lease_len = e.len;
  } else {
    if (e.len) ev.payload.assign(reinterpret_cast<const char*>(e.data), e.len);
    release_lease(e.lease);
  }
  auto it = pending_.find(e.user_data);
  if (it == pending_.end()) {
    // Only after shutdown() cancelled everything; nothing waits. Handles are reclaimed by
    // the bridge's own shutdown, the lease here.
    release_lease(ev.lease);
    return;
  }
  auto op = std::move(it->second);
  pending_.erase(it);
  op->complete(std::move(ev));
}

void RuntimeCore::answer_hook(const aster_iroh_event& e) {
  GateRequest req;
  if (e.len >= 32) {
    req.remote_id = hex(e.data, 32);
    req.alpn.assign(reinterpret_cast<const char*>(e.data) + 32, e.len - 32);
  }
  req.incoming = e.code == ASTER_IROH_HOOK_INCOMING;
  // An endpoint we do not know (freed, or its create event not yet seen) fails closed.
  GateVerdict v = GateVerdict::deny();
  if (auto it = gates_.find(e.h1); it != gates_.end() && it->second) v = it->second(req);
  with_rt(
      [&](aster_iroh_rt* rt) {
        return aster_iroh_hook_respond(rt, e.h2, v.admitted ? 1 : 0, v.code,
                                       reinterpret_cast<const uint8_t*>(v.reason.data()),
                                       v.reason.size());
      },
      int32_t{0});
}

void RuntimeCore::release_lease(uint64_t lease) {
  if (lease == 0) return;
  with_rt([&](aster_iroh_rt* rt) { return aster_iroh_lease_release(rt, lease); }, int32_t{0});
}

void RuntimeCore::set_gate(uint64_t endpoint, GateFunction gate) {
  gates_[endpoint] = std::move(gate);
}
void RuntimeCore::clear_gate(uint64_t endpoint) {
  gates_.erase(endpoint);
}

void RuntimeCore::shutdown(std::chrono::milliseconds timeout) {
  aster_iroh_rt* rt = nullptr;
  {
    std::unique_lock lock(mu_);
    std::swap(rt, rt_);
  }
  if (!rt) return;
  // The eventfd belongs to the bridge: stop watching it without closing it.
  std::error_code ec;
  fd_.cancel(ec);
  fd_.release();
  // Every awaiting operation gets exactly one completion: CANCELLED.
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [ud, op] : pending) {
    BridgeEvent ev;
    ev.status = ASTER_IROH_CANCELLED;
    ev.payload = "runtime shut down";
    op->complete(std::move(ev));
  }
  gates_.clear();
  aster_iroh_runtime_shutdown(rt, static_cast<uint32_t>(timeout.count()));
}

}  // namespace aster::transport::detail
