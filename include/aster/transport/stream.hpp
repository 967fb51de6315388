// Bidi stream halves over the iroh bridge (bridge/include/aster_iroh.h).
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
#include "aster/transport/detail/bridge_handle.hpp"

namespace aster::transport {

namespace detail {
struct BridgeEvent;
}  // namespace detail

class Connection;
class RecvStream;

// Bytes received by one read: a zero-copy lease on the bridge's buffer, released when the
// Chunk is destroyed. `fin()` means the peer finished the stream (after these bytes, for
// RecvStream::read_all and read_with_fin; a plain read() with fin() carries no bytes).
class Chunk {
 public:
  Chunk() = default;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  bool fin() const { return fin_; }

 private:
  friend class RecvStream;
  friend class Connection;  // a call's whole answer (Connection::try_open_bi_call)
  detail::BridgeHandle lease_;
  // A part of the bytes that came with an accepted stream (RecvStream::take_first), copied
  // when a read asked for fewer bytes than came. A vector's move keeps its buffer, so data_
  // stays valid.
  std::vector<uint8_t> owned_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool fin_ = false;
};

// Bytes handed to QUIC without a copy (SendStream::write(SharedBytes)): immutable and shared
// by reference count, so one buffer can be written many times (a file's blocks, a payload
// sent to many peers) and QUIC keeps a reference, not a copy, until the peer acknowledged the
// bytes. Copying a SharedBytes copies a reference; the buffer is freed with the last one.
class SharedBytes {
 public:
  SharedBytes() = default;
  explicit SharedBytes(std::vector<uint8_t> bytes)
      : buf_(std::make_shared<const std::vector<uint8_t>>(std::move(bytes))) {}

  std::span<const uint8_t> bytes() const {
    return buf_ ? std::span<const uint8_t>(*buf_) : std::span<const uint8_t>();
  }
  size_t size() const { return buf_ ? buf_->size() : 0; }

 private:
  friend class SendStream;
  std::shared_ptr<const std::vector<uint8_t>> buf_;
};

// Sending half. Destroying it without finish() resets the stream with kResetOnDestroy, so a
// truncated request never looks complete to the peer (noq would FIN it on drop).
class SendStream {
 public:
  static constexpr uint64_t kResetOnDestroy = 0;

  SendStream() = default;
  SendStream(SendStream&& other) noexcept = default;
  SendStream& operator=(SendStream&& other) noexcept;
  ~SendStream();

  bool valid() const { return static_cast<bool>(handle_); }

  // Hands `data` to QUIC (copied once, into its send buffer); completes once QUIC accepted
  // every byte (flow control throttles here), usually without suspending. One write at a
  // time per stream.
  asio::awaitable<Status> write(std::span<const uint8_t> data);
  // write() without the copy: QUIC holds a reference to `data` until the peer acknowledged it
  // (bridge ABI 15, aster_iroh_send_owned). For large writes, where the copy is a visible part
  // of the cost (docs/transport.md "Writes without a copy").
  asio::awaitable<Status> write(SharedBytes data);
  // write() then FIN, as one operation.
  asio::awaitable<Status> write_and_finish(std::span<const uint8_t> data);
  // write_and_finish() started without a coroutine: its status when QUIC took every byte at
  // once (a short message's usually are); nullopt when the write waits for flow control, and
  // then write_pending() completes it. Nothing else may run on this stream in between. Io
  // thread only. A write that completes at once frees the send half with it (the stream is
  // done: valid() is false after, and stopped() cannot be asked).
  std::optional<Status> start_write_and_finish(std::span<const uint8_t> data);
  asio::awaitable<Status> write_pending();
  // FIN after the writes already completed. Sync.
  Status finish();
  // RESET_STREAM(code): abandons unsent data.
  Status reset(uint64_t code);
  // Waits until the peer stopped the stream (returns its STOP_SENDING code) or everything
  // was acknowledged (nullopt).
  asio::awaitable<Result<std::optional<uint64_t>>> stopped();

 private:
  friend class Connection;
  explicit SendStream(detail::BridgeHandle handle) : handle_(std::move(handle)) {}
  void abandon();
  detail::BridgeHandle handle_;
  bool done_ = false;  // finished or reset: nothing to do on destruction but free
  // start_write_and_finish's write while it waits (its user_data and op in the bridge).
  uint64_t pending_user_data_ = 0;
  uint64_t pending_op_ = 0;
};

// Receiving half. Pull-only: data is requested from QUIC only when read() is called, so a
// slow reader throttles the peer through flow control. Destroying it while data is still
// unread sends STOP_SENDING 0 (noq drop semantics).
class RecvStream {
 public:
  static constexpr size_t kDefaultReadSize = 64 * 1024;

  RecvStream() = default;
  RecvStream(RecvStream&& other) noexcept;
  RecvStream& operator=(RecvStream&& other) noexcept;
  ~RecvStream() = default;

  // An accepted stream whose bytes all came with it, FIN included, is valid without a bridge
  // handle: the bridge dropped its recv half, read to its end (ABI 14), and reads yield the
  // bytes, then the FIN.
  bool valid() const { return static_cast<bool>(handle_) || ended_; }

  // Up to `max` bytes, or a Chunk with fin() at the end of the stream. Errors: peer reset
  // (kAborted, message has the code), connection loss (kUnavailable), cancellation.
  asio::awaitable<Result<Chunk>> read(size_t max = kDefaultReadSize);
  // Like read(), but when the FIN already arrived right behind the bytes it comes with them
  // (a Chunk with bytes and fin()). A stream read to its FIN this way ends cleanly; one
  // dropped before its FIN was read makes noq send STOP_SENDING (an extra frame).
  asio::awaitable<Result<Chunk>> read_with_fin(size_t max = kDefaultReadSize);
  // read_with_fin() without waiting: nullopt when nothing can be read yet (no operation stays
  // behind). Sync.
  Result<std::optional<Chunk>> try_read_with_fin(size_t max = kDefaultReadSize);
  // Everything until FIN as one zero-copy Chunk (fin() set) in one operation;
  // kResourceExhausted if more than `limit` bytes arrive. Not cancel-safe: a cancelled
  // read_all may lose what it had read.
  asio::awaitable<Result<Chunk>> read_all(size_t limit);
  // The same, copied into a vector.
  asio::awaitable<Result<std::vector<uint8_t>>> read_to_end(size_t limit);
  // STOP_SENDING(code). Sync.
  Status stop(uint64_t code);
  // The bytes that came with the stream (an accepted stream's first bytes, the answer that
  // completed Connection::try_open_bi_call) when they reach its FIN and nothing was read yet:
  // the whole stream, there to look at without an operation. nullopt otherwise. Sync.
  std::optional<std::span<const uint8_t>> whole() const;
  // The same bytes taken as one Chunk (fin() set), zero-copy; reads see the end after it.
  std::optional<Chunk> take_whole();

 private:
  friend class Connection;
  explicit RecvStream(detail::BridgeHandle handle) : handle_(std::move(handle)) {}
  asio::awaitable<Result<Chunk>> receive(size_t max, uint32_t flags);
  Result<Chunk> chunk_of(const detail::BridgeEvent& ev) const;
  // Keeps the bytes (and FIN) that came with the accepted stream (aster_iroh_accept_bi_each_read)
  // for the first reads; `core` owns their lease.
  void hold_first(const detail::BridgeEvent& accepted,
                  const std::shared_ptr<detail::RuntimeCore>& core);
  // What a read of a stream read to its end yields once its bytes are taken.
  static Chunk fin_chunk();
  // A stream accepted whole, FIN included, whose recv half the bridge dropped (ABI 14).
  static RecvStream ended_with(const detail::BridgeEvent& accepted,
                               const std::shared_ptr<detail::RuntimeCore>& core);
  // Up to `max` of those bytes, the FIN with them when `fin_with_data` (else alone, by the next
  // call); nullopt once they are all taken: then reads go to the bridge.
  std::optional<Chunk> take_first(size_t max, bool fin_with_data);
  bool holds_first() const { return first_data_ != nullptr || first_fin_; }
  asio::awaitable<Result<Chunk>> read_all_after_first(size_t limit);

  detail::BridgeHandle handle_;
  // The bytes that came with the stream, until taken: their lease, where they are (null once
  // all are taken) and how many; those not taken yet start at first_pos_. Plain fields, not an
  // optional Chunk: an accepted stream is moved four or five times on its way to the loop that
  // serves it, and this halves the cost of each move.
  detail::BridgeHandle first_lease_;
  const uint8_t* first_data_ = nullptr;
  size_t first_size_ = 0;
  size_t first_pos_ = 0;
  bool first_fin_ = false;  // the FIN follows first_
  // No handle: the bridge dropped the half, read to its end (ended_with); reads past first_
  // see the FIN, as noq keeps answering for a finished stream.
  bool ended_ = false;
};

struct BidiStream {
  SendStream send;
  RecvStream recv;
};

}  // namespace aster::transport
