#include "aster/transport/memory_pipe.hpp"

#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>
#include <optional>
#include <string>

namespace aster::transport {
namespace {

// A wake-up signal for one waiting coroutine: a timer that never expires on its own and is
// cancelled to wake the waiter. Cancellation of the waiting coroutine also ends the wait.
class Waker {
 public:
  explicit Waker(const asio::any_io_executor& ex) : timer_(ex) {}
  // True when the waiting coroutine itself was cancelled. (Checked here, not in a nested
  // awaitable: Asio 1.22 throws from any co_await of an awaitable once cancelled.)
  asio::awaitable<bool> wait() {
    timer_.expires_at(asio::steady_timer::time_point::max());
    std::error_code ec;  // operation_aborted is the normal wake-up
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
  }
  void wake() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// One direction of the pipe.
struct Channel {
  explicit Channel(const asio::any_io_executor& ex, size_t cap)
      : capacity(cap), reader_waker(ex), writer_waker(ex) {}
  size_t capacity;
  std::deque<uint8_t> buffer;
  bool finished = false;                 // writer sent FIN
  std::optional<uint64_t> reset_code;    // writer reset
  std::optional<uint64_t> stop_code;     // reader stopped
  bool reader_gone = false;
  Waker reader_waker;
  Waker writer_waker;
};

Status stopped_status(uint64_t code) {
  return Status(StatusCode::kAborted, "stream stopped by peer (" + std::to_string(code) + ")");
}

class PipeEnd final : public ByteStream {
 public:
  PipeEnd(std::shared_ptr<Channel> in, std::shared_ptr<Channel> out)
      : in_(std::move(in)), out_(std::move(out)) {}
  ~PipeEnd() override {
    if (!out_->finished && !out_->reset_code) out_->reset_code = 0;
    out_->reader_waker.wake();
    if (!in_->stop_code) in_->stop_code = 0;
    in_->reader_gone = true;
    in_->writer_waker.wake();
  }

  // A copy of the finished, unread input (the pipe's buffer is not contiguous), so the RPC
  // layer's in-place path for whole streams runs over pipes too.
  std::optional<std::span<const uint8_t>> whole() const override {
    if (read_any_ || !in_->finished || in_->reset_code || in_->stop_code) return std::nullopt;
    whole_.assign(in_->buffer.begin(), in_->buffer.end());
    return std::span<const uint8_t>(whole_);
  }

  asio::awaitable<Result<size_t>> read_some(std::span<uint8_t> buf) override {
    read_any_ = true;
    auto ch = in_;  // keeps the channel alive across the wait
    if (buf.empty()) co_return Status(StatusCode::kInvalidArgument, "read_some: empty buffer");
    while (true) {
      if (ch->stop_code) co_return Status(StatusCode::kAborted, "read after stop");
      if (ch->reset_code) {
        co_return Status(StatusCode::kAborted,
                         "stream reset by peer (" + std::to_string(*ch->reset_code) + ")");
      }
      if (!ch->buffer.empty()) {
        const size_t n = std::min(buf.size(), ch->buffer.size());
        std::copy_n(ch->buffer.begin(), n, buf.begin());
        ch->buffer.erase(ch->buffer.begin(), ch->buffer.begin() + static_cast<std::ptrdiff_t>(n));
        ch->writer_waker.wake();
        co_return n;
      }
      if (ch->finished) co_return size_t{0};
      if (co_await ch->reader_waker.wait()) co_return Status(StatusCode::kCancelled, "read cancelled");
    }
  }

  asio::awaitable<Result<std::vector<uint8_t>>> read_to_end(size_t limit) override {
    std::vector<uint8_t> out;
    std::vector<uint8_t> chunk(16 * 1024);
    while (true) {
      ASTER_CO_ASSIGN_OR_RETURN(size_t n, co_await read_some(chunk));
      if (n == 0) co_return out;
      if (out.size() + n > limit) {
        co_return Status(StatusCode::kResourceExhausted,
                         "stream longer than " + std::to_string(limit) + " bytes");
      }
      out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  asio::awaitable<Status> write(std::span<const uint8_t> data) override {
    auto ch = out_;
    while (true) {
      if (ch->finished || ch->reset_code) {
        co_return Status(StatusCode::kFailedPrecondition, "write after finish or reset");
      }
      if (ch->stop_code) co_return stopped_status(*ch->stop_code);
      if (data.empty()) co_return Status::ok();
      const size_t room = ch->capacity - std::min(ch->capacity, ch->buffer.size());
      if (room > 0) {
        const size_t n = std::min(room, data.size());
        ch->buffer.insert(ch->buffer.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
        data = data.subspan(n);
        ch->reader_waker.wake();
        continue;
      }
      if (co_await ch->writer_waker.wait()) co_return Status(StatusCode::kCancelled, "write cancelled");
    }
  }

  asio::awaitable<Status> finish() override {
    auto& ch = *out_;
    if (ch.finished || ch.reset_code) {
      co_return Status(StatusCode::kFailedPrecondition, "finish after finish or reset");
    }
    // QUIC lets a FIN go out after STOP_SENDING arrived; the peer just ignores it.
    ch.finished = true;
    ch.reader_waker.wake();
    co_return Status::ok();
  }

  asio::awaitable<Status> write_and_finish(std::span<const uint8_t> data) override {
    ASTER_CO_RETURN_IF_ERROR(co_await write(data));
    co_return co_await finish();
  }

  Status reset(uint64_t code) override {
    auto& ch = *out_;
    if (ch.finished || ch.reset_code) return Status::ok();  // nothing left to abandon
    ch.reset_code = code;
    ch.buffer.clear();
    ch.reader_waker.wake();
    ch.writer_waker.wake();
    return Status::ok();
  }

  Status stop(uint64_t code) override {
    auto& ch = *in_;
    if (!ch.stop_code) ch.stop_code = code;
    ch.buffer.clear();
    ch.writer_waker.wake();
    ch.reader_waker.wake();
    return Status::ok();
  }

 private:
  bool read_any_ = false;
  mutable std::vector<uint8_t> whole_;
  std::shared_ptr<Channel> in_;
  std::shared_ptr<Channel> out_;
};

}  // namespace

std::pair<std::unique_ptr<ByteStream>, std::unique_ptr<ByteStream>> make_memory_pipe(
    const asio::any_io_executor& executor, size_t capacity) {
  auto a_to_b = std::make_shared<Channel>(executor, std::max<size_t>(capacity, 1));
  auto b_to_a = std::make_shared<Channel>(executor, std::max<size_t>(capacity, 1));
  return {std::make_unique<PipeEnd>(b_to_a, a_to_b), std::make_unique<PipeEnd>(a_to_b, b_to_a)};
}

}  // namespace aster::transport
