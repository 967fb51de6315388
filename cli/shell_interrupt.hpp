// Ctrl-C in the shell: a SIGINT handler that records the interrupt and wakes a self-pipe, so
// the line editor (waiting for a key) and a running call (waiting for the producer) both see
// it. 0.1.2's shell: Ctrl-C cancels a running call, at the prompt twice within 1.5 s exits
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_run_shell`).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "aster/transport/blocking.hpp"
#include "aster/status.hpp"

namespace aster::cli {

// Installs the handler (idempotent).
void install_interrupt_handler();
// True once per Ctrl-C: reading it clears it.
bool take_interrupt();
// Records a Ctrl-C again (a reader that consumed one and must pass it on to its caller).
void raise_interrupt();
// The read end of the self-pipe (readable after a Ctrl-C); drained by take_interrupt().
int interrupt_fd();

// Runs `aw` on the runtime's io thread and waits; a Ctrl-C meanwhile cancels it (Asio
// cancellation, which reaches the bridge) and gives kCancelled once it has unwound.
template <typename T>
Result<T> run_interruptible(transport::BlockingRuntime& runtime, asio::awaitable<Result<T>> aw) {
  auto signal = std::make_shared<asio::cancellation_signal>();
  auto fut = asio::co_spawn(runtime.io(), std::move(aw),
                            asio::bind_cancellation_slot(signal->slot(), asio::use_future));
  runtime.wake();
  bool cancelled = false;
  while (fut.wait_for(std::chrono::milliseconds(30)) != std::future_status::ready) {
    if (!cancelled && take_interrupt()) {
      cancelled = true;
      asio::post(runtime.io(), [signal] { signal->emit(asio::cancellation_type::all); });
      runtime.wake();
    }
  }
  try {
    Result<T> r = fut.get();
    if (cancelled && !r.is_ok()) return Status(StatusCode::kCancelled, "cancelled");
    return r;
  } catch (const std::exception& e) {
    if (cancelled) return Status(StatusCode::kCancelled, "cancelled");
    return Status(StatusCode::kInternal, e.what());
  }
}

// Lines from standard input outside the line editor (piped mode, prompts, stream input):
// reads fd 0 itself, so it can wait for a line and for Ctrl-C (or `stop`) at once.
class LineInput {
 public:
  enum class End { kLine, kEof, kInterrupted, kStopped };
  // Prints `prompt` (when non-empty) and waits for a line (without its newline).
  End read(std::string& line, const std::string& prompt = "",
           const std::function<bool()>& stop = {});

 private:
  std::string buffer_;
  bool eof_ = false;
};

LineInput& standard_input();

}  // namespace aster::cli
