// Bidi stream halves over the iroh bridge (shared/reference/iroh-transport.md §§3.4, 4.4-4.5).
// Operations are asio::awaitable coroutines returning Status/Result; they must be started on
// the io_context thread that runs the owning transport::Runtime. Cancelling the awaiting
// coroutine (Asio cancellation slot) cancels the bridge operation: exactly one completion.
#pragma once

#include <asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "aster/status.hpp"

namespace aster::transport {

namespace detail {
class RuntimeCore;
}

// Bytes received by one read: a zero-copy lease on the bridge's buffer, released when the
// Chunk is destroyed. `fin()` means the peer finished the stream (no bytes then).
class Chunk {
 public:
  Chunk() = default;
  Chunk(Chunk&& other) noexcept;
  Chunk& operator=(Chunk&& other) noexcept;
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;
  ~Chunk();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  bool fin() const { return fin_; }

 private:
  friend class RecvStream;
  std::shared_ptr<detail::RuntimeCore> core_;
  uint64_t lease_ = 0;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool fin_ = false;
};

// Sending half. Destroying it without finish() resets the stream with kResetOnDestroy, so a
// truncated request never looks complete to the peer (noq would FIN it on drop; §3.4).
class SendStream {
 public:
  static constexpr uint64_t kResetOnDestroy = 0;

  SendStream() = default;
  SendStream(std::shared_ptr<detail::RuntimeCore> core, uint64_t handle);
  SendStream(SendStream&& other) noexcept;
  SendStream& operator=(SendStream&& other) noexcept;
  SendStream(const SendStream&) = delete;
  SendStream& operator=(const SendStream&) = delete;
  ~SendStream();

  bool valid() const { return handle_ != 0; }

  // Copies `data` into the bridge; completes once QUIC accepted every byte (flow control
  // throttles here). One write at a time per stream.
  asio::awaitable<Status> write(std::span<const uint8_t> data);
  // FIN after the writes already completed. Sync.
  Status finish();
  // RESET_STREAM(code): abandons unsent data.
  Status reset(uint64_t code);
  // Waits until the peer stopped the stream (returns its STOP_SENDING code) or everything
  // was acknowledged (nullopt).
  asio::awaitable<Result<std::optional<uint64_t>>> stopped();

 private:
  void release();
  std::shared_ptr<detail::RuntimeCore> core_;
  uint64_t handle_ = 0;
  bool done_ = false;  // finished or reset: nothing to do on destruction but free
};

// Receiving half. Pull-only: data is requested from QUIC only when read() is called, so a
// slow reader throttles the peer through flow control. Destroying it while data is still
// unread sends STOP_SENDING 0 (noq drop semantics).
class RecvStream {
 public:
  static constexpr size_t kDefaultReadSize = 64 * 1024;

  RecvStream() = default;
  RecvStream(std::shared_ptr<detail::RuntimeCore> core, uint64_t handle);
  RecvStream(RecvStream&& other) noexcept;
  RecvStream& operator=(RecvStream&& other) noexcept;
  RecvStream(const RecvStream&) = delete;
  RecvStream& operator=(const RecvStream&) = delete;
  ~RecvStream();

  bool valid() const { return handle_ != 0; }

  // Up to `max` bytes, or a Chunk with fin() at the end of the stream. Errors: peer reset
  // (kAborted, message has the code), connection loss (kUnavailable), cancellation.
  asio::awaitable<Result<Chunk>> read(size_t max = kDefaultReadSize);
  // Reads until FIN; kResourceExhausted if more than `limit` bytes arrive.
  asio::awaitable<Result<std::vector<uint8_t>>> read_to_end(size_t limit);
  // STOP_SENDING(code). Sync.
  Status stop(uint64_t code);

 private:
  void release();
  std::shared_ptr<detail::RuntimeCore> core_;
  uint64_t handle_ = 0;
};

struct BidiStream {
  SendStream send;
  RecvStream recv;
};

}  // namespace aster::transport
