// Blocking facade for scripts, tests and the CLI (docs/transport.md, "Layers"): an
// io_context on a background thread plus a transport::Runtime; run() co_spawns an awaitable
// there and waits on asio::use_future.
#pragma once

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "aster/transport/endpoint.hpp"

namespace aster::transport {

class BlockingRuntime {
 public:
  // In the default shape (Shape::kSharedThread) the bridge's runtime and Asio share this
  // facade's one thread (Runtime::drive); work co_spawned or posted onto io() from another
  // thread needs wake() (run() and run_for() do it).
  static Result<std::unique_ptr<BlockingRuntime>> create(Runtime::Options options = {});
  ~BlockingRuntime();  // shuts the Runtime down on the io thread, then joins it

  asio::io_context& io() { return io_; }
  Runtime& runtime() { return *runtime_; }
  // After posting or co_spawning onto io() from another thread: the io thread may be asleep
  // in the bridge (kSharedThread), where it does not see such work until woken.
  void wake() { runtime_->wake(); }

  // Runs `aw` on the io thread and waits for its result.
  template <typename T>
  T run(asio::awaitable<T> aw) {
    auto fut = asio::co_spawn(io_, std::move(aw), asio::use_future);
    runtime_->wake();  // kSharedThread: the io thread may be asleep in the bridge
    return fut.get();
  }

  // Like run(), but cancels the coroutine (Asio cancellation → bridge cancel) when `timeout`
  // passes, then still waits for it to unwind. nullopt if it had to be cancelled.
  template <typename T>
  std::optional<T> run_for(asio::awaitable<T> aw, std::chrono::milliseconds timeout) {
    auto signal = std::make_shared<asio::cancellation_signal>();
    auto fut = asio::co_spawn(io_, std::move(aw),
                              asio::bind_cancellation_slot(signal->slot(), asio::use_future));
    runtime_->wake();
    if (fut.wait_for(timeout) == std::future_status::ready) return fut.get();
    asio::post(io_, [signal] { signal->emit(asio::cancellation_type::all); });
    runtime_->wake();
    fut.wait();
    return std::nullopt;
  }

 private:
  BlockingRuntime() = default;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<Runtime> runtime_;
  bool leave_drive_ = false;         // kSharedThread: set on the io thread to end the drive
  std::promise<void> drive_left_;    // kSharedThread: the io thread left the drive
  std::thread thread_;
};

}  // namespace aster::transport
