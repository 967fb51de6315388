// The consumer side of one stateless call on ALPN `aster/1`, independent of QUIC: what 0.1.2's
// IrohTransport / IrohBidiChannel do per call
// (aster-rpc@0972ac9:bindings/python/aster/transport/iroh.py): HEADER, the request data
// frame(s), FIN; then data frames until the mandatory trailer. A non-OK trailer is the call's
// status; end of stream before the trailer is UNAVAILABLE. Byte-level (payloads in the
// stream's mode); typed and Value forms sit on top (service_client.hpp, raw_transport.hpp).
// CallOptions::timeout is enforced locally on every operation: past it the call is abandoned
// (RESET_STREAM 1 + STOP_SENDING 1) and the operation returns DEADLINE_EXCEEDED.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aster/rpc/call_context.hpp"
#include "aster/status.hpp"
#include "aster/transport/byte_stream.hpp"
#include "aster/transport/stream.hpp"
#include "aster/wire/frame_io.hpp"

namespace aster::transport {
struct OpenedCall;  // endpoint.hpp
}  // namespace aster::transport

namespace aster::rpc {

struct CallOptions {
  // Sent as deadlineEpochMs and enforced locally as well (DEADLINE_EXCEEDED).
  std::optional<std::chrono::milliseconds> timeout;
  Metadata metadata;
};

struct CallTarget {
  std::string service;
  int64_t version = 1;
  std::string method;
  bool json = false;  // serializationMode 3 instead of 0 (XLANG)
};

// A stream opened together with the whole request of a call (Channel::open_stream_with).
struct OpenedStream {
  std::unique_ptr<transport::ByteStream> stream;  // null: not opened, nothing sent
  Status sent;  // the request write; a refused one is explained by the producer's trailer
  // Channel::open_call only: the whole answer, up to its FIN, when it came with the open
  // (`stream` is null then). The call reads its frames in place, with no stream to read.
  std::optional<transport::Chunk> answer;
};

// Where calls get their streams: one new bidi stream per stateless call.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual asio::awaitable<Result<std::unique_ptr<transport::ByteStream>>> open_stream() = 0;
  // Opens a stream and sends `request` and FIN, as one operation where the transport can (a
  // unary or server-stream call is then one trip to QUIC instead of two). When the stream could
  // open only after waiting for the peer's stream credit, returns a null stream having sent
  // nothing: the caller then waits in open_stream() and builds its request anew, because a
  // header's deadline starts when the stream opens (docs/rpc.md "Concurrent calls"). The
  // default opens with open_stream() and writes.
  virtual asio::awaitable<Result<OpenedStream>> open_stream_with(
      std::span<const uint8_t> request);
  // open_stream_with() for a unary call: may return only once the first bytes of the answer
  // are here, with the stream's reads yielding them first (the transport then makes the whole
  // exchange one operation). Cancelled before then, the stream is reset and stopped with code 1,
  // as a unary call's deadline does. The default is open_stream_with().
  virtual asio::awaitable<Result<OpenedStream>> open_call(std::span<const uint8_t> request);
  // The QUIC connection this channel opens its streams on, if it is one (null otherwise): a
  // unary call without a timeout then opens its stream there itself, with no coroutine of the
  // channel's between it and the transport (docs/rpc.md "Per-call cost on the consumer").
  virtual transport::Connection* quic_connection() { return nullptr; }
};

// A UUID4 as 0.1.2 puts in callId for streaming calls.
std::string new_call_id();

// The HEADER frame (framed) of a call to `target`: for a call without a call id, timeout or
// metadata (a plain unary call) this thread's kept copy, the same for every call of one method;
// else built in `scratch`. Valid until the thread's next call of this function.
Result<std::span<const uint8_t>> header_frame(const CallTarget& target,
                                              const std::string& call_id,
                                              const CallOptions& options,
                                              std::vector<uint8_t>& scratch);

// A unary call's response payload, decompressed: in place in the answer it came whole with
// when that is one uncompressed data frame and the OK trailer (no copy), else owned.
class UnaryResponse {
 public:
  std::span<const uint8_t> bytes() const {
    return answer_ ? payload_ : std::span<const uint8_t>(owned_);
  }
  std::vector<uint8_t> take_vector() && {
    if (answer_) return {payload_.begin(), payload_.end()};
    return std::move(owned_);
  }

  void hold(transport::Chunk answer, std::span<const uint8_t> payload) {
    answer_.emplace(std::move(answer));  // a Chunk's bytes stay put when it moves
    payload_ = payload;
  }
  void own(std::vector<uint8_t> payload) { owned_ = std::move(payload); }

 private:
  std::optional<transport::Chunk> answer_;
  std::span<const uint8_t> payload_;
  std::vector<uint8_t> owned_;
};

// One unary call on a new stream of `channel`, opened with `frames` (Channel::open_call): the
// bytes of its one write, its HEADER frame (header_frame) and then its data frame. Its status,
// and on success its payload in `response`. An open that fails is UNAVAILABLE; `frames` that
// failed are their status. The typed client builds the frames with framed_payload, so that the
// encoded payload needs no buffer of its own.
asio::awaitable<Status> call_unary_framed(Channel& channel, const CallTarget& target,
                                          Result<std::vector<uint8_t>> frames,
                                          const CallOptions& options, UnaryResponse& response);

// call_unary_framed in halves, for a caller that is a coroutine itself and awaits the open
// (ServiceClient::unary: a coroutine frame fewer per call, docs/rpc.md "Per-call cost on the
// consumer"). unary_connection(): the QUIC connection a call with `options` opens its stream on
// itself (Connection::try_open_bi_call with Connection::kAcceptFirstBytes and
// kUnaryCancelCode), or null: then call_unary_framed. settle_unary(): the call's status when
// what the open brought settles it (an error, or the whole answer, left in `response`), else
// nullopt: then call_unary_opened() finishes the call (its answer goes on, or the peer's
// stream limit was reached and nothing was sent).
// A unary call cancelled before its answer resets and stops its stream with this code, as its
// deadline does.
inline constexpr uint64_t kUnaryCancelCode = 1;
transport::Connection* unary_connection(Channel& channel, const CallOptions& options);
std::optional<Status> settle_unary(Result<transport::OpenedCall>& opened,
                                   UnaryResponse& response);
asio::awaitable<Status> call_unary_opened(Channel& channel, const CallTarget& target,
                                          std::span<const uint8_t> frames,
                                          const CallOptions& options, UnaryResponse& response,
                                          transport::OpenedCall opened);

// One unary call on `stream` (which it finishes). The response payload, decompressed.
asio::awaitable<Result<std::vector<uint8_t>>> call_unary(transport::ByteStream& stream,
                                                       const CallTarget& target,
                                                       std::span<const uint8_t> request,
                                                       const CallOptions& options);
// One unary call on a new stream of `channel`, opened with the request
// (Channel::open_stream_with). An open that fails is UNAVAILABLE.
asio::awaitable<Result<std::vector<uint8_t>>> call_unary(Channel& channel,
                                                       const CallTarget& target,
                                                       std::span<const uint8_t> request,
                                                       const CallOptions& options);

// A server-streaming call in progress: next() yields payloads, nullopt after the OK trailer.
class ServerStreamCall {
 public:
  static asio::awaitable<Result<ServerStreamCall>> start(
      std::unique_ptr<transport::ByteStream> stream, const CallTarget& target,
      std::span<const uint8_t> request, const CallOptions& options);
  // The same on a new stream of `channel`, opened with the request. An open that fails is
  // UNAVAILABLE.
  static asio::awaitable<Result<ServerStreamCall>> start(Channel& channel,
                                                         const CallTarget& target,
                                                         std::span<const uint8_t> request,
                                                         const CallOptions& options);

  ServerStreamCall() = default;
  ServerStreamCall(ServerStreamCall&&) noexcept = default;
  ServerStreamCall& operator=(ServerStreamCall&&) noexcept = default;
  ~ServerStreamCall();

  asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> next();
  // Abandons the call (STOP_SENDING 1, as 0.1.2's client does after an error).
  void cancel();

 private:
  std::unique_ptr<transport::ByteStream> stream_;
  std::unique_ptr<wire::FrameReader> reader_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool done_ = false;
};

// A client-streaming call in progress: write() each request, then finish() for the response.
class ClientStreamCall {
 public:
  // Opens the call: writes the HEADER frame (callId a UUID4).
  static asio::awaitable<Result<ClientStreamCall>> start(
      std::unique_ptr<transport::ByteStream> stream, const CallTarget& target,
      const CallOptions& options);

  ClientStreamCall() = default;
  ClientStreamCall(ClientStreamCall&&) noexcept = default;
  ClientStreamCall& operator=(ClientStreamCall&&) noexcept = default;
  ~ClientStreamCall();

  // Sends one request (one data frame, zstd past 4096 bytes in Fory mode). When the producer
  // stops reading, returns the status it ended the call with; after it answered early with OK,
  // further writes are dropped and return OK (finish() then gives that answer).
  asio::awaitable<Status> write(std::span<const uint8_t> request);
  // Ends the input (FIN) and returns the response payload, decompressed.
  asio::awaitable<Result<std::vector<uint8_t>>> finish();
  // Abandons the call (RESET_STREAM 1, STOP_SENDING 1).
  void cancel();

 private:
  asio::awaitable<void> read_outcome();

  std::unique_ptr<transport::ByteStream> stream_;
  std::unique_ptr<wire::FrameReader> reader_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool json_ = false;
  bool done_ = false;                                // the outcome is known (or cancelled)
  std::optional<Result<std::vector<uint8_t>>> outcome_;
};

// A bidi call in progress. write() and next() may run concurrently (one of each at a time);
// the producer may end the call (trailer) before close_send().
class BidiCall {
 public:
  // Opens the call: writes the HEADER frame (callId a UUID4).
  static asio::awaitable<Result<BidiCall>> start(std::unique_ptr<transport::ByteStream> stream,
                                                 const CallTarget& target,
                                                 const CallOptions& options);

  BidiCall() = default;
  BidiCall(BidiCall&&) noexcept = default;
  BidiCall& operator=(BidiCall&&) noexcept = default;
  ~BidiCall();

  // Sends one request. Fails when the call was cancelled, timed out or the producer stopped
  // reading (the call's status when a non-OK trailer was already read).
  asio::awaitable<Status> write(std::span<const uint8_t> request);
  // Ends the input (FIN); the responses keep coming.
  asio::awaitable<Status> close_send();
  // The next response payload; nullopt after the producer's OK trailer.
  asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> next();
  // Abandons the call (RESET_STREAM 1, STOP_SENDING 1).
  void cancel();

 private:
  Status fail(Status status);

  std::unique_ptr<transport::ByteStream> stream_;
  std::unique_ptr<wire::FrameReader> reader_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool json_ = false;
  bool send_closed_ = false;
  bool done_ = false;  // trailer read, failed or cancelled
  Status final_;       // the call's status once it failed
};

// For a header: the StreamHeader fields of `target` + `options`.
std::vector<uint8_t> encode_call_header(const CallTarget& target, const std::string& call_id,
                                        const CallOptions& options);

}  // namespace aster::rpc
