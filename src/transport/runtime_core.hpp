// Private: the bridge runtime plus the EventDispatcher that turns completion-queue events into
// Asio completions (bridge/include/aster_iroh.h; asio example
// cpp20/operations/c_callback_wrapper.cpp for the hop from C to a handler).
#pragma once

#include <asio/associated_cancellation_slot.hpp>
#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/use_awaitable.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "aster/status.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster_iroh.h"

namespace aster::transport::detail {

// The copied payload of a bridge event (a message, ids, a close reason), read as text. Most
// events carry none, and an event is moved four or five times on its way to the operation that
// waits for it: a vector moves with a few stores, where an empty std::string copies its inline
// buffer with a call to memcpy (11 such calls per unary call in a callgrind profile of
// aster_rpc_bench local, docs/transport.md "Measured 2026-12-05 (night)").
class EventPayload {
 public:
  EventPayload() = default;
  EventPayload(std::string_view text) : bytes_(text.begin(), text.end()) {}  // NOLINT: implicit

  operator std::string_view() const { return {bytes_.data(), bytes_.size()}; }  // NOLINT
  bool empty() const { return bytes_.empty(); }
  size_t size() const { return bytes_.size(); }
  const char* data() const { return bytes_.data(); }
  auto begin() const { return bytes_.begin(); }
  auto end() const { return bytes_.end(); }
  void assign(const char* p, size_t n) { bytes_.assign(p, p + n); }

 private:
  std::vector<char> bytes_;
};

// One terminal bridge event, copied out of the queue. READ payloads stay leased (zero copy);
// every other payload (messages, ids, close reasons) is copied and released at once.
struct BridgeEvent {
  uint32_t kind = 0;
  int32_t status = ASTER_IROH_OK;
  uint64_t h1 = 0, h2 = 0, code = 0;
  EventPayload payload;
  uint64_t lease = 0;
  const uint8_t* lease_data = nullptr;
  size_t lease_len = 0;
};

// The epoll descriptor of `io`'s reactor (reactor_descriptor.cpp), kNoReactor while `io` has
// none (no timer, socket or signal set yet), kReactorNotWatchable where it cannot be read.
constexpr int kNoReactor = -1;
constexpr int kReactorNotWatchable = -2;
int reactor_descriptor(asio::io_context& io);

// Maps a failed event onto aster::Status; the message keeps the bridge status name and code,
// e.g. "CONN_APP_CLOSED(403): not admitted".
Status status_of(const BridgeEvent& ev);
Status status_of_submit(int32_t st);
// A socket address as the bridge takes it (family, ip bytes, port).
aster_iroh_sockaddr bridge_address_of(const SocketAddress& s);

class RuntimeCore : public std::enable_shared_from_this<RuntimeCore> {
 public:
  RuntimeCore(asio::io_context& io, aster_iroh_rt* rt, std::chrono::microseconds spin = {},
              bool hold_batches = false, size_t drive_batch = 0, bool cap_every_round = false);
  ~RuntimeCore();

  asio::io_context::executor_type executor() const { return executor_; }

  // Runs `f(rt)` unless the runtime is shut down (then returns `otherwise`); shutdown() waits
  // for calls in progress before it frees the runtime. Destructors of handles may run on any
  // thread, so every bridge call goes through here. A count of callers, not a
  // std::shared_mutex: its lock and unlock were 3% of a one-thread profile of the echo
  // (`aster_transport_bench --shape shared`, docs/transport.md "Measured 2026-12-04
  // (later)"), two pthread_rwlock calls per bridge call.
  template <typename F>
  auto with_rt(F&& f, decltype(f(nullptr)) otherwise) -> decltype(f(nullptr)) {
    // On the io thread no count: shutdown() runs on it too, so it cannot run meanwhile. Most
    // bridge calls come from there, and the count's two atomic operations were ≈2 of a
    // request's 11 such operations on the C++ side (callgrind --collect-bus, bench/transport).
    if (executor_.running_in_this_thread()) {
      aster_iroh_rt* rt = rt_.load(std::memory_order_relaxed);
      return rt ? f(rt) : otherwise;
    }
    CallerCount count(callers_);
    aster_iroh_rt* rt = rt_.load(std::memory_order_seq_cst);
    if (!rt) return otherwise;
    return f(rt);
  }

  void start();
  // On the io thread. Inside drive() it is deferred until the drive returns (the bridge
  // cannot stop the runtime it is running in).
  void shutdown(std::chrono::milliseconds timeout);
  // Completes queued events' operations, batch by batch, until a poll finds the queue empty
  // (then the eventfd is clear; returns true) or `max_batches` batches or `max_events` events
  // are done (false).
  bool drain(size_t max_batches = SIZE_MAX, bool hold = false, size_t max_events = SIZE_MAX);
  // drive(): polls one batch of events and posts their dispatch into the io_context, so that
  // the step's poll() completes them inline (see the .cpp). Returns how many.
  size_t hand_over_batch();
  void dispatch_batch();
  // Runtime::drive (caller-driven runtimes only).
  Status drive(const std::function<long()>& step, std::chrono::microseconds idle_wait);
  // Caller-driven runtimes: whether a loop runs the bridge (a drive now, or turns so far).
  bool loop_running() const { return driving_ || turned_; }
  void note_turned() { turned_ = true; }
  // How long an idle drive that watches the io_context's reactor (or that has none) sleeps at
  // most: the lateness of a post from another thread that does not call Runtime::wake().
  static constexpr std::chrono::microseconds kUnwokenPostWait{50'000};
  void release_lease(uint64_t lease);
  // Frees a stream half (`lease` false) or releases a lease. On the io thread, while it works
  // through a batch of events (the wake-up held), the frees are gathered and go to the bridge
  // together when the batch's handlers have run (one aster_iroh_release_many). Returns false
  // when the caller must free it itself at once (anywhere else).
  bool release_later(uint64_t id, bool lease);

  void set_gate(uint64_t endpoint, GateFunction gate);

  // Who the runtime's peers are, for the cap on drive() rounds (Runtime::Options::drive_batch):
  // it lets a peer in another process or runtime start on the first answers of a round, and
  // buys nothing when every peer is an endpoint of this runtime, served by the same rounds
  // (docs/transport.md "Drive rounds of at most 32 completions"). Any thread: handles may be
  // freed anywhere.
  void note_endpoint(uint64_t handle, const EndpointId& id);
  void note_connection(uint64_t handle, const EndpointId& remote);
  // A freed endpoint or connection handle stops counting.
  void forget_handle(uint64_t handle);
  // Whether drive() rounds are capped now (Runtime::rounds_capped).
  bool rounds_capped() const {
    return drive_batch_ != 0 &&
           (cap_every_round_ || outside_peers_.load(std::memory_order_relaxed) != 0);
  }

  // The one way every bridge operation runs: `submit(rt, user_data, &op, &now)` calls the
  // bridge. An outcome known at once (ASTER_IROH_DONE) is returned without suspending;
  // otherwise the coroutine waits for the op's one terminal event. Cancelling the awaiting
  // coroutine cancels the bridge op (exactly one completion either way). Io thread only.
  // `on_progress` (optional) receives the code of each non-terminal PROGRESS event of the op
  // (ops submitted with a progress flag), on the io thread, before the terminal event.
  template <typename Submit>
  asio::awaitable<BridgeEvent> run(Submit submit,
                                   std::function<void(uint64_t)> on_progress = {}) {
    {
      // Cancelled already (a deadline that fired while the caller was between operations):
      // no new operation starts (deadline.hpp returning_on_cancel).
      asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) {
        co_return cancelled_before_submit();
      }
    }
    Submission s = submit_now(submit);
    if (s.status == ASTER_IROH_DONE) co_return take(s.now);
    if (s.status != ASTER_IROH_OK) co_return rejected(s.status);
    auto waiting = wait(s, std::move(on_progress));  // named: no temporary across co_await (GCC 12)
    co_return co_await std::move(waiting);
  }

  // The two halves of run(), for callers that are coroutines already (run_on): submitting
  // needs no coroutine frame of its own, and wait() is only the asio initiation.
  struct Submission {
    int32_t status = ASTER_IROH_CANCELLED;
    uint64_t user_data = 0;
    aster_iroh_op op = 0;
    aster_iroh_event now{};
  };
  template <typename Submit>
  Submission submit_now(Submit& submit) {
    Submission s;
    s.user_data = reserve_slot();
    s.status = with_rt(
        [&](aster_iroh_rt* rt) { return submit(rt, s.user_data, &s.op, &s.now); },
        int32_t{ASTER_IROH_CANCELLED});
    // Nothing will wait in the slot, and no event will name it: it goes back as it was.
    if (s.status != ASTER_IROH_OK) free_slots_.push_back(static_cast<uint32_t>(s.user_data));
    return s;
  }
  // The completion handler every wait() has (asio's handler for use_awaitable).
  using WaitHandler =
      asio::async_result<asio::use_awaitable_t<>, void(BridgeEvent)>::handler_type;
  // The completion handler of Connection::try_open_bi_call: the caller's own coroutine waits
  // in the slot, and the event becomes its OpenedCall when it arrives (wait_call).
  using OpenCallHandler =
      asio::async_result<asio::use_awaitable_t<>, void(Result<OpenedCall>)>::handler_type;
  // The completion handler of Connection::try_call, with the answer's limit: the event becomes
  // the whole answer when it came with the open; otherwise the rest is read first
  // (complete_call). No coroutine frame of try_call's own (docs/transport.md "A whole exchange").
  using CallHandler = asio::async_result<asio::use_awaitable_t<>,
                                         void(Result<std::optional<Chunk>>)>::handler_type;
  struct CallWait {
    CallHandler handler;
    size_t limit;
  };
  // Waits for the terminal event of a submission that returned ASTER_IROH_OK. The caller
  // keeps this RuntimeCore alive until the awaitable completes.
  asio::awaitable<BridgeEvent> wait(const Submission& s,
                                    std::function<void(uint64_t)> on_progress) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(BridgeEvent)>(
        [this, user_data = s.user_data, op_id = s.op,
         progress = std::move(on_progress)](WaitHandler handler) mutable {
          auto cancel = asio::get_associated_cancellation_slot(handler);
          wait_for(user_data, op_id, std::move(handler), cancel, std::move(progress));
        },
        asio::use_awaitable);
  }

  // wait() for an aster_iroh_open_bi_call submission whose caller awaits its OpenedCall
  // directly (Connection::try_open_bi_call, which so has no coroutine frame of its own: one
  // fewer on every unary call of the typed client, docs/transport.md "A call in one operation").
  void wait_call(const Submission& s, OpenCallHandler handler) {
    auto cancel = asio::get_associated_cancellation_slot(handler);
    wait_for(s.user_data, s.op, std::move(handler), cancel, {});
  }
  // wait_call() for Connection::try_call, whose caller awaits the whole answer.
  void wait_answer(const Submission& s, CallHandler handler, size_t limit) {
    auto cancel = asio::get_associated_cancellation_slot(handler);
    wait_for(s.user_data, s.op, CallWait{std::move(handler), limit}, cancel, {});
  }

  // Starts a continuous accept (aster_iroh_accept_each / accept_bi_each) delivering into a
  // new Inbox; `discard` frees what an event carries when nobody will take it.
  std::shared_ptr<Inbox> start_inbox(
      std::function<int32_t(aster_iroh_rt*, uint32_t window, uint64_t ud, aster_iroh_op*)> submit,
      std::function<void(BridgeEvent&&)> discard);

  // Turns an inline event into a BridgeEvent (READ payloads keep their lease).
  BridgeEvent take(const aster_iroh_event& e);
  // The event of a submission the bridge refused (or a runtime already shut down).
  static BridgeEvent rejected(int32_t st);
  static BridgeEvent cancelled_before_submit();  // CANCELLED, "operation cancelled"

  // A continuous accept's entry in the pending table (keyed by user_data). One-shot operations
  // wait in slots instead (WaitSlot), callers of accept_bi in their inbox (Inbox::Waiter).
  struct PendingOp {
    virtual ~PendingOp() = default;
    // `defer`: post the resumption instead of running it here (shutdown, close, cancel: the
    // caller is in the middle of tearing something down).
    virtual void complete(BridgeEvent ev, bool defer) = 0;
  };

 private:
  friend class Inbox;

  // Resumes the operation that waits with `handler`: here when its executor is this runtime's
  // and runs on this thread (not `defer`), else dispatched or, with `defer`, posted.
  // `ev` by reference: a stream's or a call's result is moved once fewer on its way.
  template <typename Handler, typename Value>
  static void resume(Handler handler, Value&& ev, bool defer,
                     const asio::io_context::executor_type& fallback) {
    static_assert(!std::is_lvalue_reference_v<Value>, "resume takes the value over");
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) slot.clear();
    auto ex = asio::get_associated_executor(handler, fallback);
    if (!defer && runs_here(ex, fallback)) {
      // What asio::dispatch would do on this thread, minus its type-erased function object
      // (an allocation and two indirect calls per completion): resume the awaiting
      // coroutine now. Asio's own I/O objects complete this way when the handler's
      // executor is the one they run on (asio/detail/handler_work.hpp).
      std::move(handler)(std::move(ev));
      return;
    }
    auto f = [h = std::move(handler), ev = std::forward<Value>(ev)]() mutable {
      std::move(h)(std::move(ev));
    };
    // Dispatch: on the io thread the awaiting coroutine resumes right here, mid-drain, with
    // no extra trip through the io_context queue. The drain holds its own copy of the batch
    // and this operation is already out of the table, so the coroutine may submit, complete or
    // destroy anything (including shutting down).
    if (defer) {
      asio::post(ex, std::move(f));
    } else {
      asio::dispatch(ex, std::move(f));
    }
  }
  // True when `ex` is this runtime's io_context executor (`own`) and the caller runs on it.
  template <typename Executor>
  static bool runs_here(const Executor& ex, const asio::io_context::executor_type& own) {
    if constexpr (std::is_same_v<Executor, asio::io_context::executor_type>) {
      return ex == own && own.running_in_this_thread();
    } else if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
      const auto* io = ex.template target<asio::io_context::executor_type>();
      return io != nullptr && *io == own && own.running_in_this_thread();
    } else {
      return false;
    }
  }

  // A one-shot operation's wait (wait()): its handler in a numbered slot, with no allocation
  // and no hash table per operation (issue 8: "no per-operation heap allocation on the hot
  // path"). user_data = kSlotTag | generation << 32 | index; the generation changes every
  // time the slot is freed, so that a late event never reaches its next tenant. What waits in
  // a slot: nothing (an operation started without a wait, or none yet), a wait()'s handler or
  // a wait_call()'s.
  using SlotHandler = std::variant<std::monostate, WaitHandler, OpenCallHandler, CallWait>;
  struct WaitSlot {
    SlotHandler handler;
    bool waited() const { return handler.index() != 0; }
    std::function<void(uint64_t)> on_progress;
    uint32_t generation = 0;
  };
  static constexpr uint64_t kSlotTag = uint64_t{1} << 63;
  std::vector<WaitSlot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t waiting_ = 0;  // slots with a handler
  uint64_t reserve_slot() {
    uint32_t index;
    if (!free_slots_.empty()) {
      index = free_slots_.back();
      free_slots_.pop_back();
    } else {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    return kSlotTag | (uint64_t{slots_[index].generation} << 32) | index;
  }
  // The slot `user_data` names, if it is still the one it was reserved as.
  WaitSlot* slot_of(uint64_t user_data) {
    const auto index = static_cast<uint32_t>(user_data);
    const auto generation = static_cast<uint32_t>((user_data & ~kSlotTag) >> 32);
    if (index >= slots_.size() || slots_[index].generation != generation) return nullptr;
    return &slots_[index];
  }
  // Takes the handler out of a slot that holds one and frees the slot for its next tenant.
  SlotHandler vacate(WaitSlot& slot, uint32_t index) {
    SlotHandler handler = std::move(slot.handler);
    slot.handler.emplace<std::monostate>();
    if (slot.on_progress) slot.on_progress = nullptr;
    --waiting_;
    free_slot(slot, index);
    return handler;
  }
  // A slot back to the free list under a new generation: a late event for its last operation
  // finds the generation changed and never reaches the next one.
  void free_slot(WaitSlot& slot, uint32_t index) {
    slot.generation = (slot.generation + 1) & 0x7fffffff;
    free_slots_.push_back(index);
  }

  // Resumes what waited in a slot with its event (converted for an OpenCallHandler and a
  // CallWait).
  void complete(SlotHandler&& handler, BridgeEvent ev, bool defer);
  void complete_call(CallWait&& call, BridgeEvent ev, bool defer);

  // `cancel`: the waiting handler's cancellation slot (a CallWait has none of its own).
  template <typename Handler, typename CancelSlot>
  void wait_for(uint64_t user_data, aster_iroh_op op_id, Handler handler, CancelSlot cancel,
                std::function<void(uint64_t)> on_progress) {
    if (cancel.is_connected()) {
      // Asio cancellation → aster_iroh_cancel: the bridge then emits the single CANCELLED
      // event (or NOT_FOUND if the op already completed, whose event is on its way).
      cancel.assign([weak = weak_from_this(), op_id](asio::cancellation_type) {
        if (auto self = weak.lock()) {
          self->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_cancel(rt, op_id); },
                        int32_t{0});
        }
      });
    }
    WaitSlot* slot = slot_of(user_data);  // reserved by submit_now, which returned OK
    slot->handler.emplace<Handler>(std::move(handler));
    slot->on_progress = std::move(on_progress);
    ++waiting_;
  }

  // drive(), before an idle wait: tells the bridge what to watch (see the .cpp) when
  // reactor_descriptor's answer changed from `last`; returns the new answer.
  int watch_reactor(aster_iroh_rt* rt, std::optional<int> last);

  void wait_readable();
  // Drains at most kDrainBatches batches, then waits on the eventfd again if the queue is
  // empty, or else posts itself to continue after the io_context's other ready work.
  void drain_then_wait();
  static constexpr size_t kDrainBatches = 8;
  void dispatch(const aster_iroh_event& e);
  void answer_hook(const aster_iroh_event& e);

  asio::io_context::executor_type executor_;
  // The bridge's event fd, watched only by runtimes that signal it (start()). Constructing a
  // descriptor creates Asio's reactor, which io_context::poll() then runs (an epoll_wait)
  // every time: caller-driven runtimes never create it.
  std::optional<asio::posix::stream_descriptor> fd_;
  // with_rt's calls in progress. seq_cst here and on rt_: shutdown() either sees a call's
  // count or the call sees rt_ gone.
  struct CallerCount {
    explicit CallerCount(std::atomic<int64_t>& c) : c(c) {
      c.fetch_add(1, std::memory_order_seq_cst);
    }
    ~CallerCount() { c.fetch_sub(1, std::memory_order_release); }
    CallerCount(const CallerCount&) = delete;
    CallerCount& operator=(const CallerCount&) = delete;
    std::atomic<int64_t>& c;
  };
  std::atomic<int64_t> callers_{0};
  std::atomic<aster_iroh_rt*> rt_;
  uint64_t next_user_data_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<PendingOp>> pending_;
  std::unordered_map<uint64_t, GateFunction> gates_;
  bool driving_ = false;                                    // inside drive()
  // The runtime whose drive() runs on this thread, if any (release_later).
  static inline thread_local const RuntimeCore* driving_here_ = nullptr;
  bool turned_ = false;                                     // Runtime::turn() was called
  // release_later's batch, io thread only; a flush is posted when the first one arrives.
  std::vector<uint64_t> stream_releases_;
  std::vector<uint64_t> lease_releases_;
  void flush_releases();
  static constexpr size_t kBatch = 128;
  std::array<aster_iroh_event, kBatch> batch_{};  // drive(): handed over, not yet dispatched
  size_t batch_len_ = 0;
  // Runtime::Options::drive_batch: at most this many events per drive() round, the drain of
  // what they queued meanwhile included (0: up to kBatch, then a drain of kDrainBatches).
  const size_t drive_batch_ = 0;
  // Runtime::Options::drive_batch_always: rounds are capped whoever the peers are.
  const bool cap_every_round_ = false;
  // This round's cap (hand_over_batch sets it for dispatch_batch; 0: uncapped).
  size_t round_cap_ = 0;
  // note_endpoint / note_connection: the endpoints of this runtime, and the connections whose
  // peer is none of them (their count read by every round without the lock).
  std::mutex peers_mutex_;
  std::vector<std::pair<uint64_t, EndpointId>> own_endpoints_;
  std::vector<uint64_t> outside_connections_;
  std::atomic<size_t> outside_peers_{0};
  std::optional<std::chrono::milliseconds> deferred_shutdown_;  // asked for while driving
  // Io-thread spinning (docs/transport.md "Spinning"): how long drain_then_wait keeps polling
  // the queue after its last event before it waits on the eventfd; zero never spins.
  std::chrono::microseconds spin_{0};
  static constexpr size_t kSpinMaxOps = 16;
  std::chrono::steady_clock::time_point last_event_{};
  bool spinning_ = false;  // holds the process's io spinning token
  // Runtime::Options::hold_batches: while drain_then_wait dispatches a batch of more than one
  // event, the bridge holds back its wake-up for our deferred operations (holding_) until a
  // handler posted after the drain releases it.
  const bool hold_batches_ = false;
  bool holding_ = false;
  void hold_runtime_wake();
  void release_runtime_wake_later();
  // Whether drain_then_wait polls again instead of waiting: within spin_ of the last event,
  // at most kSpinMaxOps pending, and this core holds (or now takes) the process's token.
  bool keep_spinning();
  void stop_spinning();
};

// Objects a continuous accept delivered and nobody took yet, at most `kWindow` (the bridge
// delivers no more until one is taken: back-pressure). Io thread only.
class Inbox : public std::enable_shared_from_this<Inbox> {
 public:
  static constexpr uint32_t kWindow = Connection::kAcceptWindow;

  Inbox(std::shared_ptr<RuntimeCore> core, std::function<void(BridgeEvent&&)> discard)
      : core_(std::move(core)), discard_(std::move(discard)) {}
  ~Inbox();

  // The next delivered event, or the status that ended the accept (kCancelled once closed).
  asio::awaitable<Result<BridgeEvent>> next();
  // next()'s two halves, for a caller that is a coroutine itself (Connection::accept_bi: a
  // coroutine frame fewer per accepted stream): what is here now (a delivered event or the
  // ending status), else nullopt and the caller awaits wait() — an OK event, or the terminal
  // (or CANCELLED) one — keeping this inbox alive until it completes.
  std::optional<Result<BridgeEvent>> take_now();
  asio::awaitable<BridgeEvent> wait();
  // wait() for Connection::accept_bi, whose caller's coroutine waits here itself: the event
  // becomes its BidiStream when it is delivered (no coroutine frame of accept_bi's own).
  using AcceptHandler =
      asio::async_result<asio::use_awaitable_t<>, void(Result<BidiStream>)>::handler_type;
  void wait_accept(AcceptHandler handler);
  // Stops accepting; undelivered objects are discarded (their handles freed).
  void close();
  size_t queued() const { return ready_.size(); }
  // An event from the bridge (OK, or the terminal one).
  void deliver(BridgeEvent ev, bool defer);

 private:
  friend class RuntimeCore;
  // One more delivery for the bridge (an object was taken), handed over kGrantBatch at a time.
  // A grant per object was an operation per accepted stream: deferred to a sleeping runtime
  // it woke the bridge's thread on its own, just before the call's answer woke it again
  // (docs/transport.md "Credit for accepted streams in batches"). The bridge keeps at least
  // kWindow - kGrantBatch + 1 deliveries of credit while the objects are taken.
  void grant();
  static constexpr uint32_t kGrantBatch = kWindow / 4;
  uint32_t taken_ = 0;  // taken since the last grant, fewer than kGrantBatch

  std::shared_ptr<RuntimeCore> core_;
  std::function<void(BridgeEvent&&)> discard_;
  aster_iroh_op op_ = 0;
  std::deque<BridgeEvent> ready_;
  std::optional<Status> ended_;
  // Callers waiting in next(), served in order (aster::Server's call loops all wait here).
  // Each waits with its handler in place (no allocation per wait); `id` finds it again when
  // its wait is cancelled, which leaves the entry empty (Asio's handlers cannot be assigned,
  // so nothing is erased from the middle).
  using WaiterHandler = std::variant<RuntimeCore::WaitHandler, AcceptHandler>;
  struct Waiter {
    uint64_t id;
    std::optional<WaiterHandler> handler;
  };
  std::deque<Waiter> waiters_;
  uint64_t next_waiter_ = 0;
  // The waiter that waited longest, if any (empty entries dropped).
  std::optional<WaiterHandler> first_waiter();
  // Puts a waiter in line; its cancellation takes it out (the stream stays for the next one).
  template <typename Handler>
  void enqueue(Handler handler);
  // Resumes a waiter with `ev` (for an AcceptHandler, the stream it names). Touches nothing of
  // the inbox, which the resumed caller may destroy. `core` is only read before the waiter
  // runs: the stream's handles copy it (no shared_from_this: a locked instruction and a
  // release more per accepted stream).
  static void resume_waiter(WaiterHandler&& handler, BridgeEvent ev, bool defer,
                            const std::shared_ptr<RuntimeCore>& core);
  // Completes every waiter with `st` (terminal status or close), none of them here if `defer`.
  void fail_waiters(int32_t st, bool defer);
};

// Builds public objects from bridge handles (their constructors are private).
struct HandleAccess {
  static Connection connection(BridgeHandle h, const EndpointId& remote, std::string alpn) {
    return Connection(std::move(h), remote, std::move(alpn));
  }
  static Result<OpenedCall> opened_call(const std::shared_ptr<RuntimeCore>& core,
                                        BridgeEvent ev) {
    return Connection::opened_call(core, std::move(ev));
  }
  static Chunk whole_answer(std::shared_ptr<RuntimeCore> core, const BridgeEvent& ev) {
    return Connection::whole_answer(std::move(core), ev);
  }
  static Result<BidiStream> accepted_bi(const std::shared_ptr<RuntimeCore>& core,
                                        BridgeEvent ev) {
    return Connection::accepted_bi(core, std::move(ev));
  }
};

// A bridge operation up to its wait, without a coroutine frame of its own, for run_on and for
// callers that are coroutines themselves (the hot stream operations: a frame per operation was
// ≈ 0.07 µs of a request's 4 in the shared shape, docs/transport.md "Measured 2026-12-05
// (morning)"): the handle and the
// caller's cancellation state (`state`, from `co_await asio::this_coro::cancellation_state`)
// are checked, the operation submitted; `done` holds an outcome known at once, else `pending`
// is set and the caller awaits `core->wait(*pending, {})`, keeping `core` (the runtime) alive
// until it completes.
struct StartedOp {
  // start_on sets it unless the operation is pending. An empty event, not a status: every
  // operation builds one, and a Status with a message cost ≈ 150 instructions more per
  // operation (callgrind, bench/transport).
  Result<BridgeEvent> done = BridgeEvent{};
  std::shared_ptr<RuntimeCore> core;  // set while pending: the wait keeps the runtime alive
  std::optional<RuntimeCore::Submission> pending;
};

template <typename Submit>
StartedOp start_on(const BridgeHandle& h, std::string_view what,
                   const asio::cancellation_state& state, Submit submit) {
  StartedOp r;
  if (!h) {
    r.done = Status(StatusCode::kFailedPrecondition, std::string(what) + " not valid");
    return r;
  }
  if (state.cancelled() != asio::cancellation_type::none) {
    r.done = RuntimeCore::cancelled_before_submit();  // as in RuntimeCore::run
    return r;
  }
  RuntimeCore& core = *h.core();
  const uint64_t id = h.id();
  auto on_handle = [&](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op, aster_iroh_event* now) {
    return submit(rt, id, ud, op, now);
  };
  auto s = core.submit_now(on_handle);
  if (s.status == ASTER_IROH_DONE) {
    r.done = core.take(s.now);
  } else if (s.status != ASTER_IROH_OK) {
    r.done = RuntimeCore::rejected(s.status);
  } else {
    r.core = h.core();
    r.pending = s;
  }
  return r;
}

// The bridge handle every public object holds is a detail::BridgeHandle (stream.hpp); this
// runs an op on it, failing with kFailedPrecondition when the handle is empty or moved from.
// start_on's steps (an operation that completes inline, as most writes, opens and reads do,
// suspends nowhere), then the wait.
template <typename Submit>
asio::awaitable<Result<BridgeEvent>> run_on(const BridgeHandle& h, std::string_view what,
                                           Submit submit,
                                           std::function<void(uint64_t)> on_progress = {}) {
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  StartedOp op = start_on(h, what, state, std::move(submit));
  if (!op.pending) co_return std::move(op.done);
  auto waiting = op.core->wait(*op.pending, std::move(on_progress));  // see RuntimeCore::run
  co_return co_await std::move(waiting);
}

// A synchronous bridge call on a handle.
template <typename Call>
Status call_on(const BridgeHandle& h, std::string_view what, Call call) {
  if (!h) return Status(StatusCode::kFailedPrecondition, std::string(what) + " not valid");
  const uint64_t id = h.id();
  return status_of_submit(h.core()->with_rt([&](aster_iroh_rt* rt) { return call(rt, id); },
                                            int32_t{ASTER_IROH_CANCELLED}));
}

}  // namespace aster::transport::detail
