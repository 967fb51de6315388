// The byte-stream seam between the wire/RPC layers and whatever carries the bytes: a QUIC bidi
// stream in production (quic_byte_stream.hpp), an in-memory pipe in tests (memory_pipe.hpp). In
// the spirit of KJ's AsyncIoStream (capnproto:c++/src/kj/async-io.h): RPC logic never sees
// QUIC, so framing, headers, trailers and cancellation are unit-tested in-process under ASan.
//
// Semantics follow a QUIC bidi stream (RFC 9000 §3): each direction ends with finish() (FIN:
// the peer's reads then report end of stream) or reset(code) (RESET_STREAM: the peer's reads
// fail with kAborted); stop(code) (STOP_SENDING) tells the peer to stop writing, whose writes
// then fail with kAborted. Operations must run on the executor the stream was made for; one
// read and one write may be in flight at a time. Cancelling an awaiting coroutine through its
// Asio cancellation slot abandons the operation.
#pragma once

#include <asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "aster/status.hpp"

namespace aster::transport {

class SendStream;

class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // Reads at least one and at most buf.size() bytes; 0 means the peer finished (end of
  // stream). Errors: kAborted (peer reset, or we stopped), kUnavailable (connection lost),
  // kCancelled.
  virtual asio::awaitable<Result<size_t>> read_some(std::span<uint8_t> buf) = 0;
  // read_some() if it can complete without waiting; nullopt (nothing consumed) when it would
  // wait. Lets a reader skip arming a timer for bytes that are already here. The default
  // always says "would wait".
  virtual Result<std::optional<size_t>> read_some_now(std::span<uint8_t> buf) {
    (void)buf;
    return std::optional<size_t>();
  }
  // Every byte of the stream up to its end, when all of them are here already and none was
  // read yet (a short request or answer usually comes whole with its stream): a reader may take
  // them in place instead of reading. They stay valid, and readable, until the first read.
  // The default says they are not all here.
  virtual std::optional<std::span<const uint8_t>> whole() const { return std::nullopt; }
  // Reads until end of stream; kResourceExhausted when more than `limit` bytes arrive.
  virtual asio::awaitable<Result<std::vector<uint8_t>>> read_to_end(size_t limit) = 0;
  // Completes when every byte was accepted (flow control / back-pressure waits here).
  virtual asio::awaitable<Status> write(std::span<const uint8_t> data) = 0;
  // FIN after the bytes written so far.
  virtual asio::awaitable<Status> finish() = 0;
  // write + finish in one call (one round for transports that can coalesce them).
  virtual asio::awaitable<Status> write_and_finish(std::span<const uint8_t> data) = 0;
  // Abandons the sending direction: RESET_STREAM(code), unsent bytes are dropped.
  virtual Status reset(uint64_t code) = 0;
  // Abandons the receiving direction: STOP_SENDING(code).
  virtual Status stop(uint64_t code) = 0;
  // The QUIC send half under this stream, if it is one (null otherwise): a producer ends a
  // call with SendStream::start_write_and_finish there, without a coroutine frame when QUIC
  // takes the answer at once.
  virtual SendStream* quic_send() { return nullptr; }
};

}  // namespace aster::transport
