// EventDispatcher part of RuntimeCore: waits on the bridge eventfd, drains the completion
// queue in batches and completes the awaiting operation matching each event's user_data
// (bridge/include/aster_iroh.h "Model").
#include "runtime_core.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

namespace aster::transport::detail {

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
    case ASTER_IROH_TOO_LONG:
      return StatusCode::kResourceExhausted;
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

BridgeEvent RuntimeCore::rejected(int32_t st) {
  BridgeEvent ev;
  ev.status = st;
  ev.payload =
      std::string_view(st == ASTER_IROH_CANCELLED ? "runtime shut down" : "submit rejected");
  return ev;
}

BridgeEvent RuntimeCore::cancelled_before_submit() {
  BridgeEvent ev;
  ev.status = ASTER_IROH_CANCELLED;
  ev.payload = std::string_view("operation cancelled");
  return ev;
}

namespace {
// Io threads of this process spinning now: at most one (RuntimeCore::drain_then_wait), so a
// process with many runtimes never has more spinning threads than cores.
std::atomic<int> io_spinners{0};
}  // namespace

RuntimeCore::RuntimeCore(asio::io_context& io, aster_iroh_rt* rt, std::chrono::microseconds spin,
                         bool hold_batches, size_t drive_batch, bool cap_every_round)
    : executor_(io.get_executor()),
      rt_(rt),
      drive_batch_(drive_batch),
      cap_every_round_(cap_every_round),
      spin_(spin),
      hold_batches_(hold_batches) {}

RuntimeCore::~RuntimeCore() {
  shutdown(std::chrono::seconds(3));
  stop_spinning();
}

bool RuntimeCore::keep_spinning() {
  if (spin_.count() == 0 || pending_.size() + waiting_ > kSpinMaxOps ||
      std::chrono::steady_clock::now() - last_event_ >= spin_) {
    stop_spinning();
    return false;
  }
  if (!spinning_) {
    int idle = 0;
    if (!io_spinners.compare_exchange_strong(idle, 1, std::memory_order_acq_rel)) return false;
    spinning_ = true;
  }
  return true;
}

void RuntimeCore::stop_spinning() {
  if (std::exchange(spinning_, false)) io_spinners.fetch_sub(1, std::memory_order_acq_rel);
}

void RuntimeCore::start() {
  fd_.emplace(executor_, aster_iroh_runtime_event_fd(rt_.load()));
  wait_readable();
}

void RuntimeCore::wait_readable() {
  fd_->async_wait(asio::posix::stream_descriptor::wait_read,
                 [weak = weak_from_this()](std::error_code ec) {
                   auto self = weak.lock();
                   if (!self || ec) return;
                   self->drain_then_wait();
                 });
}

void RuntimeCore::hold_runtime_wake() {
  if (!hold_batches_ || holding_) return;
  holding_ = with_rt([](aster_iroh_rt* rt) { return aster_iroh_runtime_hold(rt, 1); }, -1) == 0;
}

void RuntimeCore::release_runtime_wake_later() {
  if (!holding_) return;
  // Posted after the drain, so it runs after what the drain posted (co_spawned handlers,
  // resumed coroutines): the io_context runs posted handlers in order.
  asio::post(executor_, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || !self->holding_) return;
    self->holding_ = false;
    self->with_rt([](aster_iroh_rt* rt) { return aster_iroh_runtime_hold(rt, 0); }, -1);
  });
}

void RuntimeCore::drain_then_wait() {
  const bool emptied = drain(kDrainBatches, /*hold=*/true);
  release_runtime_wake_later();
  if (emptied) {
    if (!fd_ || !fd_->is_open()) {
      stop_spinning();
      return;
    }
    // Spinning: poll the queue again once the io_context has run what else is ready (the
    // post below), instead of sleeping on the eventfd (docs/transport.md "Spinning").
    if (!keep_spinning()) {
      wait_readable();
      return;
    }
  }
  // More is queued than one turn may take: let the io_context run what else is ready (its
  // timers above all) and continue after that. The eventfd stays signalled meanwhile (it is
  // cleared only by a poll that finds the queue empty), so nothing is lost by not waiting on it.
  asio::post(executor_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->drain_then_wait();
  });
}

bool RuntimeCore::drain(size_t max_batches, bool hold, size_t max_events) {
  // aster_iroh_poll clears the eventfd when it finds the queue empty (returns 0), so draining
  // to 0 and waiting again loses no wakeup; until then the bridge queues without writing it
  // (bridge/src/cq.rs). Completions resumed inline below often queue new events
  // (a request's reply), so the loop polls again until the queue is empty, or until it has
  // taken `max_batches` batches: under a steady stream of completions from the bridge's
  // thread the queue may never be empty, and the io_context must get back to its own work.
  aster_iroh_event evs[kBatch];
  for (size_t b = 0; b < max_batches && max_events > 0; ++b) {
    const size_t want = std::min(max_events, kBatch);
    size_t n =
        with_rt([&](aster_iroh_rt* rt) { return aster_iroh_poll(rt, evs, want); }, size_t{0});
    if (n == 0) return true;
    max_events -= n;
    if (spin_.count() != 0) last_event_ = std::chrono::steady_clock::now();
    if (hold && n > 1) hold_runtime_wake();
    for (size_t i = 0; i < n; ++i) dispatch(evs[i]);
  }
  return false;
}

size_t RuntimeCore::hand_over_batch() {
  if (batch_len_ != 0) return 0;  // the last batch has not run yet (step did not poll)
  // A round of at most drive_batch_ events: the bridge transmits what the round wrote when the
  // round returns, so a peer in another process gets the first answers while we work on the
  // rest (docs/transport.md "Drive rounds of at most 32 completions").
  // Uncapped while every peer is an endpoint of this runtime: nobody can start early, and the
  // smaller rounds only made more, smaller packets (docs/transport.md "Drive rounds of at most
  // 32 completions").
  round_cap_ = rounds_capped() ? drive_batch_ : 0;
  const size_t max = round_cap_ == 0 ? batch_.size() : std::min(round_cap_, batch_.size());
  const size_t n = with_rt(
      [&](aster_iroh_rt* rt) { return aster_iroh_poll(rt, batch_.data(), max); }, size_t{0});
  if (n == 0) return 0;
  batch_len_ = n;
  // Drive's step runs outside io_context::poll(), where asio::dispatch cannot resume a
  // waiting coroutine inline: completing there would post every completion one by one from
  // "another thread" (a locked queue push each, asio/detail/impl/scheduler.ipp
  // post_immediate_completion). One post per batch instead; inside poll() the batch and
  // everything it resumes run inline, and their own posts use the thread-private queue.
  asio::post(executor_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->dispatch_batch();
  });
  return n;
}

void RuntimeCore::dispatch_batch() {
  // batch_ is read in place: only the drive's trampoline refills it, between steps, never
  // while this runs inside a step's poll().
  const size_t n = std::exchange(batch_len_, 0);
  for (size_t i = 0; i < n; ++i) dispatch(batch_[i]);
  // What the completions queued meanwhile, inline too, up to the round's cap (the rest: next
  // round). Without it a bulk transfer in one process, where each read's completion comes
  // back within the same round, lost 22–30% (aster_rpc_bench local --shape shared).
  drain(kDrainBatches, /*hold=*/false, round_cap_ == 0 ? SIZE_MAX : round_cap_ - n);
}

Status RuntimeCore::drive(const std::function<long()>& step, std::chrono::microseconds idle_wait) {
  aster_iroh_rt* rt = rt_.load(std::memory_order_seq_cst);
  if (!rt) return Status(StatusCode::kCancelled, "runtime shut down");
  if (driving_) return Status(StatusCode::kFailedPrecondition, "drive() is already running");
  struct Context {
    RuntimeCore* core;
    aster_iroh_rt* rt;
    const std::function<long()>* step;
    std::exception_ptr error;
    // reactor_descriptor's last answer (nullopt: not asked yet). Asked again before an idle
    // wait only while the io_context has no reactor: a reactor, once there, stays (Asio keeps
    // its services as long as the io_context), so its answer is final.
    std::optional<int> reactor;
  } ctx{this, rt, &step, nullptr, std::nullopt};
  // The step runs inside the bridge's block_on: nothing may unwind through it, and the
  // runtime must stay alive until it returns (shutdown() defers itself while driving_).
  auto trampoline = [](void* p) -> int64_t {
    auto* c = static_cast<Context*>(p);
    if (c->core->deferred_shutdown_) return -1;
    try {
      const size_t events = c->core->hand_over_batch();
      if (c->core->deferred_shutdown_) return -1;
      const long ran = (*c->step)();
      if (ran < 0) return -1;
      const int64_t work = static_cast<int64_t>(events) + ran;
      if (work == 0 && (!c->reactor || *c->reactor == kNoReactor)) {
        c->reactor = c->core->watch_reactor(c->rt, c->reactor);
      }
      return work;
    } catch (...) {
      c->error = std::current_exception();
      return -1;
    }
  };
  driving_ = true;
  const RuntimeCore* const outer = std::exchange(driving_here_, this);
  const int32_t st = aster_iroh_runtime_drive(rt, trampoline, &ctx,
                                              static_cast<uint32_t>(idle_wait.count()));
  driving_here_ = outer;
  driving_ = false;
  if (auto timeout = std::exchange(deferred_shutdown_, std::nullopt)) shutdown(*timeout);
  if (ctx.error) std::rethrow_exception(ctx.error);
  return status_of_submit(st);
}

int RuntimeCore::watch_reactor(aster_iroh_rt* rt, std::optional<int> last) {
  // Before an idle wait: once the io_context has a reactor, the drive watches its epoll
  // descriptor, so Asio's timers, sockets and signals end the wait when they are due and the
  // wait needs no bound of its own but for posts from other threads that do not wake() it.
  // Until then nothing but such posts can need the loop (the io thread's own posts keep a
  // round busy), so the same long bound holds. Only a reactor that cannot be watched keeps
  // the drive's short tick.
  const int now = reactor_descriptor(asio::query(executor_, asio::execution::context));
  if (now == last || now == kReactorNotWatchable) return now;
  const int fd = now >= 0 ? now : -1;
  (void)aster_iroh_runtime_drive_watch(rt, fd,
                                       static_cast<uint32_t>(kUnwokenPostWait.count()));
  return now;
}

BridgeEvent RuntimeCore::take(const aster_iroh_event& e) {
  BridgeEvent ev;
  ev.kind = e.kind;
  ev.status = e.status;
  ev.h1 = e.h1;
  ev.h2 = e.h2;
  ev.code = e.code;
  // Leases that carry stream bytes stay leases (zero-copy): READ's, the first bytes of an
  // accepted stream (aster_iroh_accept_bi_each_read) and of a call's answer
  // (aster_iroh_open_bi_call).
  if ((e.kind == ASTER_IROH_EV_READ && (e.status == ASTER_IROH_OK || e.status == ASTER_IROH_FIN)) ||
      (e.kind == ASTER_IROH_EV_ACCEPT_BI && e.status == ASTER_IROH_OK) ||
      (e.kind == ASTER_IROH_EV_OPEN_BI && e.status == ASTER_IROH_OK)) {
    ev.lease = e.lease;
    ev.lease_data = e.data;
    ev.lease_len = e.len;
  } else {
    if (e.len) ev.payload.assign(reinterpret_cast<const char*>(e.data), e.len);
    release_lease(e.lease);
  }
  return ev;
}

void RuntimeCore::dispatch(const aster_iroh_event& e) {
  if (e.kind == ASTER_IROH_EV_HOOK) {
    answer_hook(e);
    release_lease(e.lease);
    return;
  }
  BridgeEvent ev = take(e);
  if ((e.user_data & kSlotTag) != 0) {
    WaitSlot* slot = slot_of(e.user_data);
    if (slot == nullptr) {
      // Only after shutdown() cancelled everything; nothing waits. Handles are reclaimed by
      // the bridge's own shutdown, the lease here.
      release_lease(ev.lease);
      return;
    }
    if (!slot->waited()) {
      // An operation started without a wait whose owner went before waiting for it
      // (SendStream::start_write_and_finish, then the stream destroyed): its slot is free now.
      release_lease(ev.lease);
      if (ev.status != ASTER_IROH_PROGRESS) free_slot(*slot, static_cast<uint32_t>(e.user_data));
      return;
    }
    if (ev.status == ASTER_IROH_PROGRESS) {
      // Not terminal: the op keeps its slot. The callback may run user code (a progress bar)
      // that starts operations and so moves the slots: it is called from a copy.
      release_lease(ev.lease);
      if (auto progress = slot->on_progress) progress(ev.code);
      return;
    }
    complete(vacate(*slot, static_cast<uint32_t>(e.user_data)), std::move(ev), false);
    return;
  }
  auto it = pending_.find(e.user_data);
  if (it == pending_.end() || ev.status == ASTER_IROH_PROGRESS) {
    // Only after shutdown() cancelled everything; nothing waits. Handles are reclaimed by
    // the bridge's own shutdown, the lease here.
    release_lease(ev.lease);
    return;
  }
  if (ev.status == ASTER_IROH_OK) {
    // A continuous accept's delivery: it stays registered. complete() may run user code that
    // changes pending_ (or even shuts down and destroys this op), so nothing here touches `it`
    // or the op afterwards.
    it->second->complete(std::move(ev), false);
    return;
  }
  auto op = std::move(it->second);
  pending_.erase(it);
  op->complete(std::move(ev), false);
}

void RuntimeCore::complete(SlotHandler&& handler, BridgeEvent ev, bool defer) {
  if (auto* wait = std::get_if<WaitHandler>(&handler)) {
    resume(std::move(*wait), std::move(ev), defer, executor_);
  } else if (auto* call = std::get_if<OpenCallHandler>(&handler)) {
    resume(std::move(*call), HandleAccess::opened_call(shared_from_this(), std::move(ev)), defer,
           executor_);
  } else if (auto* whole = std::get_if<CallWait>(&handler)) {
    complete_call(std::move(*whole), std::move(ev), defer);
  }
}

namespace {
// The rest of an answer that did not come whole with the open (Connection::try_call).
asio::awaitable<Result<std::optional<Chunk>>> read_answer(BidiStream s, size_t limit) {
  ASTER_CO_ASSIGN_OR_RETURN(Chunk all, co_await s.recv.read_all(limit));
  co_return std::optional<Chunk>(std::move(all));
}
}  // namespace

void RuntimeCore::complete_call(CallWait&& call, BridgeEvent ev, bool defer) {
  using Answer = Result<std::optional<Chunk>>;
  if (ev.status == ASTER_IROH_OK && (ev.code & ASTER_IROH_ACCEPT_FIN) != 0) {
    // The whole answer came with the open (a short one does): straight to the caller, without
    // an OpenedCall on the way.
    resume(std::move(call.handler),
           Answer(std::optional<Chunk>(HandleAccess::whole_answer(shared_from_this(), ev))),
           defer, executor_);
    return;
  }
  Result<OpenedCall> opened = HandleAccess::opened_call(shared_from_this(), std::move(ev));
  if (!opened) {
    resume(std::move(call.handler), Answer(opened.status()), defer, executor_);
  } else if (opened->answer || !opened->stream) {
    // The whole answer, or none (no stream credit: nothing was sent).
    resume(std::move(call.handler), Answer(std::move(opened->answer)), defer, executor_);
  } else {
    // The answer goes on beyond what came with the open (a long one): read to its end in a
    // coroutine of its own, which the caller's cancellation reaches as it reached the open.
    auto cancel = asio::get_associated_cancellation_slot(call.handler);
    if (cancel.is_connected()) cancel.clear();
    auto ex = asio::get_associated_executor(call.handler, executor_);
    asio::co_spawn(
        ex, read_answer(std::move(*opened->stream), call.limit),
        asio::bind_cancellation_slot(
            cancel, [h = std::move(call.handler)](std::exception_ptr e, Answer a) mutable {
              if (e) a = Status(StatusCode::kInternal, "reading the answer failed");
              std::move(h)(std::move(a));
            }));
  }
}

void RuntimeCore::answer_hook(const aster_iroh_event& e) {
  GateRequest req;
  if (e.len >= 32) {
    std::memcpy(req.remote_id.bytes.data(), e.data, 32);
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
  if (lease == 0 || release_later(lease, true)) return;
  with_rt([&](aster_iroh_rt* rt) { return aster_iroh_lease_release(rt, lease); }, int32_t{0});
}

bool RuntimeCore::release_later(uint64_t id, bool lease) {
  // A call frees two stream halves and a lease or two on each side; one by one, each free took
  // the bridge's handle table lock against the runtime's thread and queued a closure of its own
  // (BridgeHandle::release was ≈10% of the io thread in a profile of aster_rpc_bench local
  // --only unary64, docs/transport.md "Releases gathered per turn").
  // Only while the io thread works through a batch of events (holding_, see
  // hold_runtime_wake): with one call in flight the frees went out after the next call's open
  // and cost its latency (unary ×1 p50 of two aster_rpc_bench processes 7-13 µs higher in four
  // interleaved pairs, docs/transport.md "Releases gathered per turn"). After shutdown the
  // batch's flush finds no runtime and only clears it: the bridge freed everything with it.
  // In the shared shape (driving_) every drive round is such a batch: its flush runs in the
  // same io_context::poll(), before the round hands back to tokio, on the one thread.
  // The drive's thread is told by a thread-local mark, not by asking the executor (Asio's
  // call stack walk was most of this function's cost, two releases per request).
  if (driving_here_ != this &&
      (!holding_ || !executor_.running_in_this_thread())) {
    return false;
  }
  const bool first = stream_releases_.empty() && lease_releases_.empty();
  (lease ? lease_releases_ : stream_releases_).push_back(id);
  if (first) {
    asio::post(executor_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->flush_releases();
    });
  }
  return true;
}

void RuntimeCore::note_endpoint(uint64_t handle, const EndpointId& id) {
  std::lock_guard lock(peers_mutex_);
  own_endpoints_.emplace_back(handle, id);
}

void RuntimeCore::note_connection(uint64_t handle, const EndpointId& remote) {
  std::lock_guard lock(peers_mutex_);
  for (const auto& [h, id] : own_endpoints_) {
    if (id.bytes == remote.bytes) return;
  }
  outside_connections_.push_back(handle);
  outside_peers_.store(outside_connections_.size(), std::memory_order_relaxed);
}

void RuntimeCore::forget_handle(uint64_t handle) {
  std::lock_guard lock(peers_mutex_);
  std::erase_if(own_endpoints_, [&](const auto& e) { return e.first == handle; });
  std::erase(outside_connections_, handle);
  outside_peers_.store(outside_connections_.size(), std::memory_order_relaxed);
}

void RuntimeCore::flush_releases() {
  if (stream_releases_.empty() && lease_releases_.empty()) return;
  with_rt(
      [&](aster_iroh_rt* rt) {
        return aster_iroh_release_many(rt, stream_releases_.data(), stream_releases_.size(),
                                       lease_releases_.data(), lease_releases_.size());
      },
      int32_t{0});
  stream_releases_.clear();
  lease_releases_.clear();
}

void RuntimeCore::set_gate(uint64_t endpoint, GateFunction gate) {
  gates_[endpoint] = std::move(gate);
}

void RuntimeCore::shutdown(std::chrono::milliseconds timeout) {
  if (driving_) {
    deferred_shutdown_ = timeout;
    return;
  }
  flush_releases();
  aster_iroh_rt* rt = rt_.exchange(nullptr, std::memory_order_seq_cst);
  if (!rt) return;
  // Bridge calls other threads are making (a handle freed by a destructor elsewhere) end
  // before the runtime goes; later ones find it gone (with_rt).
  while (callers_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  // The eventfd belongs to the bridge: stop watching it without closing it.
  if (fd_) {
    std::error_code ec;
    fd_->cancel(ec);
    fd_->release();
  }
  // Every awaiting operation gets exactly one completion: CANCELLED.
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [ud, op] : pending) op->complete(rejected(ASTER_IROH_CANCELLED), true);
  std::vector<SlotHandler> waiting;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].waited()) waiting.push_back(vacate(slots_[i], static_cast<uint32_t>(i)));
  }
  for (auto& handler : waiting) complete(std::move(handler), rejected(ASTER_IROH_CANCELLED), true);
  gates_.clear();
  aster_iroh_runtime_shutdown(rt, static_cast<uint32_t>(timeout.count()));
}

// ---- Continuous accept ----------------------------------------------------------------------

namespace {
// The continuous op's entry in the pending table: every event goes to the inbox.
struct InboxOp final : RuntimeCore::PendingOp {
  explicit InboxOp(std::weak_ptr<Inbox> inbox) : inbox(std::move(inbox)) {}
  void complete(BridgeEvent ev, bool defer) override {
    if (auto in = inbox.lock()) {
      in->deliver(std::move(ev), defer);  // may destroy *this (see RuntimeCore::dispatch)
    } else {
      // The owner is gone (it cancelled the op): free what the event carries.
      if (ev.status == ASTER_IROH_OK) discard(std::move(ev));
    }
  }
  std::weak_ptr<Inbox> inbox;
  std::function<void(BridgeEvent&&)> discard;
};
}  // namespace

std::shared_ptr<Inbox> RuntimeCore::start_inbox(
    std::function<int32_t(aster_iroh_rt*, uint32_t, uint64_t, aster_iroh_op*)> submit,
    std::function<void(BridgeEvent&&)> discard) {
  auto inbox = std::make_shared<Inbox>(shared_from_this(), discard);
  const uint64_t user_data = next_user_data_++;
  aster_iroh_op op = 0;
  const int32_t st = with_rt(
      [&](aster_iroh_rt* rt) { return submit(rt, Inbox::kWindow, user_data, &op); },
      int32_t{ASTER_IROH_CANCELLED});
  if (st != ASTER_IROH_OK) {
    inbox->ended_ = status_of(rejected(st));
    return inbox;
  }
  inbox->op_ = op;
  auto entry = std::make_unique<InboxOp>(inbox);
  entry->discard = std::move(discard);
  pending_.emplace(user_data, std::move(entry));
  return inbox;
}

Inbox::~Inbox() {
  close();
}

void Inbox::close() {
  if (op_ != 0 && !ended_) {
    const aster_iroh_op op = op_;
    core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_cancel(rt, op); }, int32_t{0});
  }
  if (!ended_) ended_ = Status(StatusCode::kCancelled, "stopped accepting");
  auto ready = std::move(ready_);
  ready_.clear();
  for (auto& ev : ready) discard_(std::move(ev));
  fail_waiters(ASTER_IROH_CANCELLED, true);
}

void Inbox::fail_waiters(int32_t st, bool defer) {
  // Taken out first: a waiter resumed here may call next() again or destroy this inbox.
  auto waiters = std::move(waiters_);
  waiters_.clear();
  auto core = core_;  // a waiter resumed here may destroy this inbox
  for (auto& w : waiters) {
    if (!w.handler) continue;  // its wait was cancelled
    resume_waiter(std::move(*w.handler), RuntimeCore::rejected(st), defer, core);
  }
}

void Inbox::resume_waiter(WaiterHandler&& handler, BridgeEvent ev, bool defer,
                          const std::shared_ptr<RuntimeCore>& core) {
  auto ex = core->executor();
  if (auto* wait = std::get_if<RuntimeCore::WaitHandler>(&handler)) {
    RuntimeCore::resume(std::move(*wait), std::move(ev), defer, ex);
    return;
  }
  Result<BidiStream> s = ev.status == ASTER_IROH_OK
                             ? HandleAccess::accepted_bi(core, std::move(ev))
                             : Result<BidiStream>(status_of(ev));
  RuntimeCore::resume(std::move(std::get<AcceptHandler>(handler)), std::move(s), defer, ex);
}

std::optional<Inbox::WaiterHandler> Inbox::first_waiter() {
  while (!waiters_.empty()) {
    std::optional<WaiterHandler> h = std::move(waiters_.front().handler);
    waiters_.pop_front();
    if (h) return h;
  }
  return std::nullopt;
}

void Inbox::deliver(BridgeEvent ev, bool defer) {
  if (ev.status != ASTER_IROH_OK) {
    if (!ended_) ended_ = status_of(ev);
    auto first = first_waiter();
    if (!first) return;
    const int32_t st = ev.status;
    auto rest = std::move(waiters_);
    waiters_.clear();
    auto core = core_;  // a waiter resumed here may destroy this inbox
    resume_waiter(std::move(*first), std::move(ev), defer, core);
    for (auto& w : rest) {
      if (!w.handler) continue;  // its wait was cancelled
      resume_waiter(std::move(*w.handler), RuntimeCore::rejected(st), true, core);
    }
    return;
  }
  if (ended_) {  // closed locally; the bridge's CANCELLED is on its way
    discard_(std::move(ev));
    return;
  }
  if (auto w = first_waiter()) {
    grant();
    // May resume the waiter here, which may destroy this inbox (the runtime outlives it: the
    // connection's handle holds it).
    resume_waiter(std::move(*w), std::move(ev), defer, core_);
    return;
  }
  ready_.push_back(std::move(ev));
}

void Inbox::grant() {
  const aster_iroh_op op = op_;
  if (op == 0 || ++taken_ < kGrantBatch) return;
  const uint32_t n = taken_;
  taken_ = 0;
  core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_grant(rt, op, n); }, int32_t{0});
}

std::optional<Result<BridgeEvent>> Inbox::take_now() {
  if (!ready_.empty()) {
    BridgeEvent ev = std::move(ready_.front());
    ready_.pop_front();
    grant();
    return Result<BridgeEvent>(std::move(ev));
  }
  if (ended_) return Result<BridgeEvent>(*ended_);
  return std::nullopt;
}

template <typename Handler>
void Inbox::enqueue(Handler handler) {
  const uint64_t id = next_waiter_++;
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    // Cancelling one accept does not stop accepting: the stream stays queued for the next
    // caller, and the other waiters keep waiting.
    slot.assign([weak = weak_from_this(), id](asio::cancellation_type) {
      auto in = weak.lock();
      if (!in) return;
      auto it = std::find_if(in->waiters_.begin(), in->waiters_.end(),
                             [id](const Waiter& w) { return w.id == id; });
      if (it == in->waiters_.end() || !it->handler) return;  // already completed
      WaiterHandler mine = std::move(*it->handler);
      it->handler.reset();
      resume_waiter(std::move(mine), RuntimeCore::rejected(ASTER_IROH_CANCELLED), true,
                    in->core_);
    });
  }
  waiters_.push_back(Waiter{id, WaiterHandler(std::in_place_type<Handler>, std::move(handler))});
}

asio::awaitable<BridgeEvent> Inbox::wait() {
  return asio::async_initiate<decltype(asio::use_awaitable), void(BridgeEvent)>(
      [this](RuntimeCore::WaitHandler handler) { enqueue(std::move(handler)); },
      asio::use_awaitable);
}

void Inbox::wait_accept(AcceptHandler handler) {
  enqueue(std::move(handler));
}

asio::awaitable<Result<BridgeEvent>> Inbox::next() {
  auto self = shared_from_this();
  if (auto now = take_now()) co_return std::move(*now);
  auto waiting = wait();  // named: no temporary across co_await (GCC 12)
  BridgeEvent ev = co_await std::move(waiting);
  if (ev.status != ASTER_IROH_OK) co_return status_of(ev);
  co_return ev;
}

}  // namespace aster::transport::detail
