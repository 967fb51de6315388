// Deadlines for transport operations: an asio::steady_timer that, when it fires, emits
// cancellation into the operation (→ aster_iroh_cancel → one CANCELLED completion). No
// separate timer wheel; composes with the caller's own cancellation, which is forwarded.
#pragma once

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>

namespace aster::transport {

template <typename T>
struct Deadlined {
  T value;                 // the operation's own result (kCancelled when the deadline hit)
  bool deadline_exceeded;  // the timer fired before the operation completed
};

namespace detail {
// Runs `op` as a thread of its own that never throws operation_aborted at a co_await once
// cancelled: by default every co_await after the cancellation signal throws (asio's
// `this_coro::throw_if_cancelled`), so an operation that had already completed when the timer
// fired would fail with an exception at its next step instead of returning its status. The
// bridge operations see the cancellation instead and return kCancelled without submitting
// (RuntimeCore::run, run_on).
template <typename T>
asio::awaitable<T> returning_on_cancel(asio::awaitable<T> op) {
  co_await asio::this_coro::throw_if_cancelled(false);
  co_return co_await std::move(op);
}
}  // namespace detail

// Runs `op` and cancels it if it has not completed after `timeout`.
// Example: `auto r = co_await with_deadline(stream.recv.read(), 2s);`
template <typename T>
asio::awaitable<Deadlined<T>> with_deadline(asio::awaitable<T> op,
                                            std::chrono::steady_clock::duration timeout) {
  auto ex = co_await asio::this_coro::executor;
  auto signal = std::make_shared<asio::cancellation_signal>();
  auto fired = std::make_shared<bool>(false);
  asio::steady_timer timer(ex, timeout);
  timer.async_wait([signal, fired](std::error_code ec) {
    if (!ec) {
      *fired = true;
      signal->emit(asio::cancellation_type::terminal);
    }
  });
  // Forward our caller's cancellation to the operation as well.
  asio::cancellation_state outer = co_await asio::this_coro::cancellation_state;
  if (outer.slot().is_connected()) {
    outer.slot().assign([signal](asio::cancellation_type t) { signal->emit(t); });
  }
  T r = co_await asio::co_spawn(ex, detail::returning_on_cancel(std::move(op)),
                              asio::bind_cancellation_slot(signal->slot(), asio::use_awaitable));
  if (outer.slot().is_connected()) outer.slot().clear();
  timer.cancel();
  co_return Deadlined<T>{std::move(r), *fired};
}

}  // namespace aster::transport
