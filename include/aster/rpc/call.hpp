// The consumer side of one stateless call on ALPN `aster/1`, independent of QUIC: what 0.1.2's
// IrohTransport does per call (aster-rpc@0972ac9:bindings/python/aster/transport/iroh.py):
// HEADER + request + FIN, then data frames until the mandatory trailer. A non-OK trailer is
// the call's status; end of stream before the trailer is UNAVAILABLE. Byte-level (payloads in
// the stream's mode); typed and Value forms sit on top (service_client.hpp, raw_client.hpp).
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
#include "aster/wire/frame_io.hpp"

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

// Where calls get their streams: one new bidi stream per stateless call.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual asio::awaitable<Result<std::unique_ptr<transport::ByteStream>>> open_stream() = 0;
};

// A UUID4 as 0.1.2 puts in callId for streaming calls.
std::string new_call_id();

// One unary call on `stream` (which it finishes). The response payload, decompressed.
asio::awaitable<Result<std::vector<uint8_t>>> call_unary(transport::ByteStream& stream,
                                                       const CallTarget& target,
                                                       std::span<const uint8_t> request,
                                                       const CallOptions& options);

// A server-streaming call in progress: next() yields payloads, nullopt after the OK trailer.
class ServerStreamCall {
 public:
  static asio::awaitable<Result<ServerStreamCall>> start(
      std::unique_ptr<transport::ByteStream> stream, const CallTarget& target,
      std::span<const uint8_t> request, const CallOptions& options);

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

// For a header: the StreamHeader fields of `target` + `options`.
std::vector<uint8_t> encode_call_header(const CallTarget& target, const std::string& call_id,
                                        const CallOptions& options);

}  // namespace aster::rpc
