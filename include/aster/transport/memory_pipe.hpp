// An in-memory two-way byte pipe (KJ's newTwoWayPipe, capnproto:c++/src/kj/async-io.h) whose
// ends behave like the two ends of a QUIC bidi stream: bounded buffering per direction gives
// back-pressure (a writer waits while `capacity` bytes are unread), finish() → the reader sees
// end of stream once it drained the buffer, reset(code) → the reader fails with kAborted at
// once (buffered bytes are dropped, as RESET_STREAM does), stop(code) → the writer fails with
// kAborted. Destroying an end resets its unfinished sending side and stops its receiving side,
// like dropping transport::SendStream / RecvStream.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>
#include <utility>

#include "aster/transport/byte_stream.hpp"

namespace aster::transport {

inline constexpr size_t kDefaultPipeCapacity = 64 * 1024;

// Both ends run on `executor` (single-threaded use, like one io_context thread).
std::pair<std::unique_ptr<ByteStream>, std::unique_ptr<ByteStream>> make_memory_pipe(
    const asio::any_io_executor& executor, size_t capacity = kDefaultPipeCapacity);

}  // namespace aster::transport
