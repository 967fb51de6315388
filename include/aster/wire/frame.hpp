// Aster frames on ALPN `aster/1`: `len:u32 LE ‖ flags:u8 ‖ payload`, len = 1 + payload size,
// exactly as aster-rpc 0.1.2 writes and reads them (aster-rpc@0972ac9:
// bindings/python/aster/framing.py `write_frame`/`read_frame`, core/src/framing.rs). This is the
// synchronous core: encoding and an incremental decoder, no I/O (frame_io.hpp adds that), so the
// fuzz build can compile it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <memory>
#include <vector>

#include "aster/status.hpp"

namespace aster::wire {

// aster-rpc@0972ac9:bindings/python/aster/limits.py.
inline constexpr uint32_t kMaxFrameSize = 16 * 1024 * 1024;         // bound on `len`
inline constexpr size_t kMaxDecompressedSize = 16 * 1024 * 1024;    // per data payload
inline constexpr size_t kCompressionThreshold = 4096;  // compress payloads strictly larger
inline constexpr size_t kFramePrefixSize = 5;           // len + flags

// Flag bits (aster-rpc@0972ac9:bindings/python/aster/framing.py). 0x40/0x80 are reserved;
// 0.1.2 never checks them, so neither do we.
namespace flags {
inline constexpr uint8_t kCompressed = 0x01;
inline constexpr uint8_t kTrailer = 0x02;
inline constexpr uint8_t kHeader = 0x04;
inline constexpr uint8_t kRowSchema = 0x08;
inline constexpr uint8_t kCall = 0x10;
inline constexpr uint8_t kCancel = 0x20;
}  // namespace flags

struct Frame {
  uint8_t flags = 0;
  std::vector<uint8_t> payload;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  friend bool operator==(const Frame&, const Frame&) = default;
};

// A frame still inside the decoder's buffer (FrameDecoder::next_view): its payload is valid
// until the decoder is next fed, prepared, committed or asked for a frame. For callers that
// decode a payload at once (a header, a trailer) instead of keeping it.
struct FrameView {
  uint8_t flags = 0;
  std::span<const uint8_t> payload;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  Frame copy() const { return Frame{flags, {payload.begin(), payload.end()}}; }
};

// The 5 bytes in front of a payload. Refuses what 0.1.2's writer refuses: an empty payload
// unless TRAILER or CANCEL is set, and len > kMaxFrameSize (both kInvalidArgument; oversize is
// kResourceExhausted).
Result<std::array<uint8_t, kFramePrefixSize>> frame_prefix(uint8_t flags, size_t payload_size);
// Appends one whole frame to `out`.
Status append_frame(std::vector<uint8_t>& out, uint8_t flags, std::span<const uint8_t> payload);
Result<std::vector<uint8_t>> encode_frame(uint8_t flags, std::span<const uint8_t> payload);

// Incremental decoder: feed bytes as they arrive, take whole frames out. Checks `len` as soon
// as the 4-byte prefix is complete (len == 0 → kInvalidArgument, len > max → kResourceExhausted)
// so an oversize frame is refused before its body is buffered. Accepts len == 1 (empty payload)
// with any flags, as 0.1.2's reader does. After an error the decoder stays failed.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_size = kMaxFrameSize) : max_(max_frame_size) {}
  FrameDecoder(FrameDecoder&&) noexcept = default;
  FrameDecoder& operator=(FrameDecoder&&) noexcept = default;
  // Leaves a small buffer to the next decoder on this thread (see buffer_for).
  ~FrameDecoder();

  void feed(std::span<const uint8_t> bytes);
  // Room for up to `n` more bytes at the end of the buffer, for a read straight into it (no
  // copy through a separate read buffer, no zero fill); then commit(k) with the k bytes read.
  // In between, next() yields nothing and nothing else may be fed or prepared.
  std::span<uint8_t> prepare(size_t n);
  void commit(size_t k);
  // The next whole frame; nullopt when more bytes are needed.
  Result<std::optional<Frame>> next();
  // The same without copying the payload out of the buffer (FrameView says how long it lives).
  Result<std::optional<FrameView>> next_view();

  // True while a started frame (at least one prefix byte) waits for more bytes. At end of
  // stream, 0.1.2 reports a failure inside the 4-byte prefix as a clean end and a short body
  // as an error; `in_body()` tells the two apart.
  bool partial() const { return buffered() > 0; }
  bool in_body() const { return buffered() >= 4 && status_.is_ok(); }
  size_t buffered() const { return buf_.size() - prepared_ - pos_; }
  // Bytes still needed to complete the current frame (0 when none is started).
  size_t body_remaining() const;

 private:
  // Like std::allocator, but resize() leaves new bytes uninitialised (prepare()).
  template <typename T>
  struct UninitAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
      using other = UninitAllocator<U>;
    };
    UninitAllocator() = default;
    template <typename U>
    UninitAllocator(const UninitAllocator<U>&) noexcept {}
    template <typename U>
    void construct(U* p) noexcept {
      ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  };
  using Buffer = std::vector<uint8_t, UninitAllocator<uint8_t>>;
  void compact();
  // An empty buffer with room, from the ones decoders on this thread left behind, when this
  // decoder has none yet: every call reads its frames through a decoder of its own, and the
  // allocation of its buffer was one of a unary call's dozen (docs/rpc.md "Per-call cost").
  void adopt_spare();

  uint32_t max_;
  Buffer buf_;
  size_t pos_ = 0;
  size_t prepared_ = 0;  // bytes at the end handed out by prepare() and not committed yet
  Status status_;
};

// The frames of a whole stream that is already in memory (RecvStream::whole), read in place
// one after another: FrameDecoder's checks without its buffer. At the end, bytes left over
// inside a prefix are a clean end and inside a body an error, as FrameReader reports them.
class FrameSpanReader {
 public:
  explicit FrameSpanReader(std::span<const uint8_t> bytes, uint32_t max_frame_size = kMaxFrameSize)
      : rest_(bytes), max_(max_frame_size) {}
  // The next frame; nullopt at a clean end. Errors: kInvalidArgument (len == 0),
  // kResourceExhausted (len over the limit), kDataLoss (the bytes end inside a body).
  Result<std::optional<FrameView>> next();

 private:
  std::span<const uint8_t> rest_;
  uint32_t max_;
};

}  // namespace aster::wire
