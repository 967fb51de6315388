// The producer side of ALPN `aster/1`, independent of QUIC: serves one stream (one stateless
// call) over a transport::ByteStream with 0.1.2's exact header/trailer rules
// (aster-rpc@0972ac9:bindings/python/aster/server.py `Server._handle_stream` and the four
// `_handle_*` methods). aster::Server feeds it QUIC streams; unit tests feed it the in-memory
// pipe.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aster/rpc/capability.hpp"
#include "aster/rpc/service_impl.hpp"
#include "aster/rpc/session_impl.hpp"
#include "aster/status.hpp"
#include "aster/transport/byte_stream.hpp"
#include "aster/wire/messages.hpp"

namespace asio {
class cancellation_signal;
}  // namespace asio

namespace aster::rpc {

class CallDeadlines;  // src/rpc/call_deadlines.hpp

// What aster::Server hands each call it spawns (Dispatcher::serve_stream).
struct CallControl {
  // Bound to the cancellation slot of the coroutine the call runs on.
  asio::cancellation_signal* signal = nullptr;
  // The time bounds of the connection's calls, on one timer.
  CallDeadlines* deadlines = nullptr;
};

// 0.1.2's handler budget cap (aster-rpc@0972ac9:bindings/python/aster/limits.py).
inline constexpr std::chrono::seconds kMaxHandlerTimeout{300};
// 0.1.2's cap on the items of one client stream; more → RESOURCE_EXHAUSTED (limits.py).
inline constexpr size_t kMaxClientStreamItems = 100000;
// 0.1.2 keeps this many metadata entries on a stateless call (server.py `_validated_metadata`).
inline constexpr size_t kMaxMetadataEntries = 64;
// How long a call may take to deliver its header and its request frame (unary and server
// stream). 0.1.2 defines this value as DEFAULT_FRAME_READ_TIMEOUT_S but never applies it, so a
// 0.1.2 producer waits for a silent consumer until the connection dies; we bound it
// (docs/rpc.md "Bounds on a call's input").
inline constexpr std::chrono::seconds kDefaultRequestReadTimeout{30};

class Dispatcher {
 public:
  // Registers a service under (name, version). kInvalidArgument when its bindings are
  // incomplete (ServiceImpl::check) or the pair is taken.
  Status add(ServiceImpl impl);
  // Registers a session-scoped service (one instance per session stream, session_impl.hpp).
  Status add(SessionServiceImpl impl);
  const std::vector<const contract::ServiceDesc*>& services() const { return order_; }
  // The bound on reading a call's header and request (kDefaultRequestReadTimeout).
  void set_request_read_timeout(std::chrono::milliseconds timeout) {
    request_read_timeout_ = timeout;
  }

  // Where a call's CallContext::attributes come from: the peer's admission, looked up for every
  // call (a session's too), so an admission that expires while a connection stays open leaves
  // its later calls with none, as in 0.1.2. Unset: none. Each service's and method's `requires`
  // is checked against them before the handler runs (capability.hpp).
  using AttributeLookup = std::function<PeerAttributes(const std::string& peer)>;
  void set_attribute_lookup(AttributeLookup lookup) { attribute_lookup_ = std::move(lookup); }
  PeerAttributes attributes_of(const std::string& peer) const {
    return attribute_lookup_ ? attribute_lookup_(peer) : PeerAttributes{};
  }

  // Serves one call on `stream` and finishes it; never throws. `peer` is the consumer's
  // endpoint id for CallContext::peer. `call`, when given, holds the signal bound to the
  // cancellation slot of the coroutine this runs on (aster::Server spawns each call so) and the
  // connection's CallDeadlines: the call's time bounds then cancel through the signal, in
  // place, instead of running the bounded step on a coroutine and a timer of its own
  // (transport::with_deadline).
  // `whole_tried`: the caller tried take_whole_unary on this stream already.
  asio::awaitable<void> serve_stream(transport::ByteStream& stream, std::string peer,
                                     const CallControl* call = nullptr,
                                     bool whole_tried = false) const;

  // A unary call ready for its handler: what serve_stream's two ways to read a call yield.
  struct UnaryCall {
    const MethodBinding* method = nullptr;
    // The request: read frame by frame or decompressed (owned), or in place in the bytes that
    // came whole with the stream (`in_place`, which stay valid while the stream lives).
    Result<std::vector<uint8_t>> request = std::vector<uint8_t>{};
    std::optional<std::span<const uint8_t>> in_place;
    CallContext ctx;
    // What the last call read into this one routed to, keyed by its kept header
    // (take_whole_unary): a loop's calls to one method look its service and binding up once.
    // Only the per-call checks run again (the peer's attributes against the requirements).
    struct RouteMemo {
      uint64_t routes = 0;  // the Dispatcher's routes_id() when kept; 0: nothing kept
      uint64_t header = 0;  // the kept header's id
      const MethodBinding* method = nullptr;
      const contract::ServiceDesc* service = nullptr;
      const contract::MethodDesc* declared = nullptr;
    };
    RouteMemo memo;

    std::span<const uint8_t> request_bytes() const { return in_place ? *in_place : *request; }
  };
  // serve_stream's steps for the usual unary call, for a caller that is a coroutine itself
  // (aster::Server's call loops: no coroutine of serve_stream's per call, docs/rpc.md
  // "Per-call cost on the producer"). take_whole_unary(): a unary call whose bytes all came
  // with `stream` (ByteStream::whole), read into `call` (which a loop keeps from call to call:
  // its strings keep their buffers); false for anything else, which serve_stream(…, true) then
  // serves. The caller awaits `call.method->unary(call.request_bytes(), call.ctx)` under
  // handler_budget(call.ctx) and hands the outcome to answer_now(): kSent when it went out at
  // once (a short answer's does), else the caller awaits answer() with what answer_now said.
  bool take_whole_unary(transport::ByteStream& stream, const std::string& peer,
                        UnaryCall& call) const;
  enum class Answering {
    kSent,     // written and finished
    kWriting,  // written in part: the rest waits for flow control (SendStream::write_pending)
    kUnsent,   // nothing written (an error trailer, a deadline, not QUIC, an empty answer)
  };
  static Answering answer_now(transport::ByteStream& stream,
                              const Result<std::vector<uint8_t>>& answer, bool timed_out);
  static asio::awaitable<void> answer(transport::ByteStream& stream,
                                      Result<std::vector<uint8_t>> answer, bool timed_out,
                                      Answering state);

 private:
  // The method a call's header names and the peer's attributes, or the status to refuse the
  // call with: 0.1.2's checks before any request frame is read, shared by both ways.
  struct Routed {
    const MethodBinding* method = nullptr;
    PeerAttributes attributes;
    const contract::ServiceDesc* service = nullptr;
    const contract::MethodDesc* declared = nullptr;
  };
  Result<Routed> route(const wire::StreamHeader& header, const std::string& peer) const;
  // A unary call from a stream whose bytes are all here (ByteStream::whole), read in place
  // into `call` (whose every field it sets); false for anything else (another pattern, a
  // session, a call to refuse, odd frames), which serve_framed then serves.
  bool whole_unary(std::span<const uint8_t> bytes, const std::string& peer,
                   UnaryCall& call) const;
  // Reads the call frame by frame and serves it, but hands a unary call back once its request
  // is read (serve_stream runs it).
  asio::awaitable<std::optional<UnaryCall>> serve_framed(transport::ByteStream& stream,
                                                         std::string peer,
                                                         const CallControl* call) const;

  // (name, version), looked up with the header's name as a string_view: no copy per call.
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view an(a.first), bn(b.first);
      return an != bn ? an < bn : a.second < b.second;
    }
  };
  using Key = std::pair<std::string, int64_t>;
  std::map<Key, ServiceImpl, KeyLess> services_;
  std::map<Key, SessionServiceImpl, KeyLess> sessions_;
  std::vector<const contract::ServiceDesc*> order_;
  std::chrono::milliseconds request_read_timeout_ = kDefaultRequestReadTimeout;
  AttributeLookup attribute_lookup_;
  // Names this dispatcher's routes for a UnaryCall::RouteMemo: new with every registration,
  // and never the same for two dispatchers (one counter for the process).
  uint64_t routes_id_ = next_routes_id();
  static uint64_t next_routes_id();
};

}  // namespace aster::rpc
