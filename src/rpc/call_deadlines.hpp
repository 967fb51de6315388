// The time bounds of the calls on one connection, kept on one timer (aster::Server gives every
// call it spawns the connection's CallDeadlines; Dispatcher::serve_stream bounds the header and
// request reads and the handler with it).
//
// Why not a steady_timer per bounded step: arming and cancelling one per call cost a
// shared block, a posted handler (armed late so that handlers answering without suspending
// skip the timerfd_settime), two locks of the timer service and the timer's construction and
// destruction: about a fifth of the producer's allocations per unary call (docs/rpc.md
// "Per-call cost on the producer"). Here a bound is an intrusive entry in the bounded step's
// coroutine frame: linking and unlinking it is all a call pays. The one timer is re-armed only
// for an end earlier than its own; when it fires it cancels every step past its end and is armed
// again for the earliest end left. Bounds of the same length (the request read timeout, 0.1.2's
// 300 s handler cap) end in the order they were added, so the timer fires about once per bound.
//
// Single-threaded: everything runs on the connection's executor, as the calls do.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>

namespace aster::rpc {

class CallDeadlines : public std::enable_shared_from_this<CallDeadlines> {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CallDeadlines(const asio::any_io_executor& ex) : timer_(ex) {}
  CallDeadlines(const CallDeadlines&) = delete;
  CallDeadlines& operator=(const CallDeadlines&) = delete;

  // One bounded step: from construction to destruction, `signal` gets a terminal cancellation
  // once `end` has passed. Lives in the step's coroutine frame (frames do not move).
  class Bound {
   public:
    Bound(CallDeadlines& owner, Clock::time_point end, asio::cancellation_signal& signal);
    ~Bound();
    Bound(const Bound&) = delete;
    Bound& operator=(const Bound&) = delete;
    // The end passed while the step was still running, and the signal was emitted.
    bool fired() const { return fired_; }

   private:
    friend class CallDeadlines;
    CallDeadlines* owner_;
    Clock::time_point end_;
    asio::cancellation_signal* signal_;
    bool fired_ = false;
    Bound* prev_ = nullptr;
    Bound* next_ = nullptr;
    bool linked_ = false;
  };

  // The connection is over: the timer is cancelled (its wait holds this object) and no new
  // bound arms it again. Bounds still alive stay harmless.
  void close();

 private:
  void link(Bound& b);
  void unlink(Bound& b);
  void arm(Clock::time_point end);
  void expire();

  asio::steady_timer timer_;
  std::optional<Clock::time_point> armed_;  // the pending wait's expiry
  bool closed_ = false;
  Bound* head_ = nullptr;
  Bound* tail_ = nullptr;
};

}  // namespace aster::rpc
