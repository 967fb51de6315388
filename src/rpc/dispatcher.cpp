#include "aster/rpc/dispatcher.hpp"

#include <asio/cancellation_signal.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "aster/transport/deadline.hpp"
#include "aster/transport/stream.hpp"
#include "aster/wire/compression.hpp"
#include "aster/wire/frame_io.hpp"
#include "aster/wire/messages.hpp"
#include "call_deadlines.hpp"
#include "deadline_rule.hpp"
#include "session_server.hpp"

namespace aster::rpc {
namespace {

using wire::Frame;
namespace flags = wire::flags;

// One trailer, then FIN. Failures are ignored: the consumer may be gone (0.1.2 logs them).
asio::awaitable<void> write_trailer(transport::ByteStream& stream, Status status,
                                    bool json) {
  auto payload = wire::encode_message(wire::to_rpc_status(status), json);
  if (!payload.is_ok()) payload = wire::encode_message(wire::RpcStatus{13, "", {}, {}}, false);
  wire::FrameWriter writer(stream);
  (void)co_await writer.write_and_finish(flags::kTrailer, *payload);
}

// transport::with_deadline for a step of a call whose coroutine's cancellation slot is bound
// to `call->signal` (aster::Server): once the step's end has passed, the connection's
// CallDeadlines emits terminal cancellation on that signal, which reaches the step's pending
// operation through the coroutine's cancellation state (asio/impl/awaitable.hpp), so the step
// runs right here instead of on a coroutine spawned for it, and no timer is armed for it
// (call_deadlines.hpp says why). After a timeout the state is reset, so the call can still
// write its trailer. Without `call` (the in-memory pipe of the unit tests), with_deadline
// itself.
template <typename T>
asio::awaitable<transport::Deadlined<T>> within(asio::awaitable<T> step,
                                                std::chrono::steady_clock::duration bound,
                                                const CallControl* call) {
  if (call == nullptr || call->deadlines == nullptr || call->signal == nullptr) {
    co_return co_await transport::with_deadline(std::move(step), bound);
  }
  std::optional<T> value;
  bool fired = false;
  {
    CallDeadlines::Bound bounded(*call->deadlines, std::chrono::steady_clock::now() + bound,
                                 *call->signal);
    T got = co_await std::move(step);  // named: GCC 12 mishandles co_await in arguments
    value.emplace(std::move(got));
    fired = bounded.fired();
  }
  if (fired) co_await asio::this_coro::reset_cancellation_state();
  co_return transport::Deadlined<T>{std::move(*value), fired};
}

// reader.next(), given up after `bound` (kDeadlineExceeded). The reader is unusable after
// that; the call is answered and abandoned. Callers look at reader.buffered() first: a frame
// already there (the header and the request usually come with the stream) needs no coroutine.
asio::awaitable<Result<std::optional<Frame>>> next_frame_within(
    wire::FrameReader& reader, std::chrono::steady_clock::duration bound,
    const CallControl* call = nullptr) {
  Result<std::optional<Frame>> ready = reader.buffered();
  if (!ready.is_ok() || ready->has_value()) co_return ready;
  auto run = co_await within(reader.next(), bound, call);
  if (run.deadline_exceeded) co_return Status(StatusCode::kDeadlineExceeded, "read timed out");
  co_return std::move(run.value);
}

// What a frame read for the request of a unary or server-stream call means: nullopt for a
// CANCEL frame (ignored on stateless streams), else the request's payload or the status to
// answer with (UNKNOWN for a bad payload, as 0.1.2 maps request-frame read errors).
template <typename Frame>
std::optional<Result<std::vector<uint8_t>>> request_in(Frame f) {
  if (f.has(flags::kCancel)) return std::nullopt;
  if (f.has(flags::kTrailer)) {
    return Result<std::vector<uint8_t>>(Status(StatusCode::kUnavailable, "Unexpected trailer"));
  }
  auto payload = wire::data_payload(std::move(f));
  if (!payload.is_ok()) {
    return Result<std::vector<uint8_t>>(Status(StatusCode::kUnknown, payload.status().message()));
  }
  return payload;
}

std::string no_frame_message(std::string_view what, std::chrono::milliseconds bound) {
  return "no " + std::string(what) + " within " + std::to_string(bound.count()) +
         " ms (request read timeout)";
}

// The first request frame of a unary / server-stream call, skipping CANCEL frames (ignored on
// stateless streams), within `bound` and before the call's deadline (docs/rpc.md "Bounds on a
// call's input"). The status is the trailer to send when there is no usable request: UNKNOWN
// for a bad frame or the read bound, as 0.1.2 maps request-frame read errors.
asio::awaitable<Result<std::vector<uint8_t>>> read_request(wire::FrameReader& reader,
                                                           const CallContext& ctx,
                                                           std::chrono::milliseconds bound,
                                                           const CallControl* call) {
  const auto idle_end = std::chrono::steady_clock::now() + bound;
  std::optional<std::chrono::steady_clock::time_point> deadline_end;
  if (ctx.deadline) {
    deadline_end = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       *ctx.deadline - std::chrono::system_clock::now());
  }
  const auto end = deadline_end ? std::min(idle_end, *deadline_end) : idle_end;
  while (true) {
    auto frame =
        co_await next_frame_within(reader, end - std::chrono::steady_clock::now(), call);
    if (!frame.is_ok() && frame.status().code() == StatusCode::kDeadlineExceeded) {
      if (deadline_end && *deadline_end <= idle_end) {
        co_return Status(StatusCode::kDeadlineExceeded, "deadline exceeded");
      }
      co_return Status(StatusCode::kUnknown, no_frame_message("request", bound));
    }
    if (!frame.is_ok()) co_return Status(StatusCode::kUnknown, frame.status().message());
    if (!frame->has_value()) co_return Status(StatusCode::kUnavailable, "Stream ended");
    if (auto request = request_in(std::move(**frame))) co_return std::move(*request);
  }
}

// read_request's answer when the request frame is buffered already (it usually comes with the
// header, and then needs no coroutine); nullopt when it has to be waited for, or when the stream
// ended (read_request says how).
std::optional<Result<std::vector<uint8_t>>> buffered_request(wire::FrameReader& reader) {
  while (true) {
    Result<std::optional<wire::FrameView>> frame = reader.buffered_view();
    if (!frame.is_ok()) return Result<std::vector<uint8_t>>(
        Status(StatusCode::kUnknown, frame.status().message()));
    if (!frame->has_value()) return std::nullopt;
    if (auto request = request_in(std::move(**frame))) return request;
  }
}

// Data frames of a server stream; checks the deadline before each item as 0.1.2 does.
class StreamSink final : public ResponseSink {
 public:
  StreamSink(transport::ByteStream& stream, bool json, std::chrono::steady_clock::time_point end)
      : stream_(&stream), json_(json), end_(end) {}
  asio::awaitable<Status> send(std::vector<uint8_t> payload) override {
    if (std::chrono::steady_clock::now() > end_) {
      deadline_hit_ = true;
      co_return Status(StatusCode::kDeadlineExceeded, "deadline exceeded");
    }
    if (!write_error_.is_ok()) co_return write_error_;
    wire::FrameWriter writer(*stream_);
    Status st = co_await writer.write_data(payload, /*compress=*/!json_);
    if (!st.is_ok()) write_error_ = st;
    co_return st;
  }
  bool deadline_hit() const { return deadline_hit_; }
  const Status& write_error() const { return write_error_; }

 private:
  transport::ByteStream* stream_;
  bool json_;
  std::chrono::steady_clock::time_point end_;
  bool deadline_hit_ = false;
  Status write_error_;
};

// The OK trailer's payload in either mode, encoded once: it is the same for every call.
const Result<std::vector<uint8_t>>& ok_trailer(bool json) {
  static const Result<std::vector<uint8_t>> fory = wire::encode_message(wire::RpcStatus{}, false);
  static const Result<std::vector<uint8_t>> text = wire::encode_message(wire::RpcStatus{}, true);
  return json ? text : fory;
}

// The response and the OK trailer in one write, then FIN; UNKNOWN when it cannot be framed.
asio::awaitable<void> write_response(transport::ByteStream& stream,
                                     const std::vector<uint8_t>& payload, bool json) {
  auto out = detail::frame_between({}, payload, json, detail::ok_trailer_frame(json));
  if (!out.is_ok()) {
    co_await write_trailer(stream, Status(StatusCode::kUnknown, out.status().message()), false);
    co_return;
  }
  (void)co_await stream.write_and_finish(*out);
}

// The request payloads of a client-stream or bidi call, read from the stream as the handler
// asks for them (0.1.2 buffers a client stream before its handler runs and feeds bidi through
// a queue; aster-rpc@0972ac9:bindings/python/aster/server.py `_handle_client_stream`,
// `_bidi_reader`). Input ends at FIN or at a TRAILER frame; CANCEL frames are skipped. Reads
// give up at the call's deadline.
class StreamRequestSource final : public RequestSource {
 public:
  StreamRequestSource(wire::FrameReader& reader, bool json, bool client_stream,
                      std::chrono::steady_clock::time_point end)
      : reader_(&reader), json_(json), client_stream_(client_stream), end_(end) {}

  asio::awaitable<std::optional<std::vector<uint8_t>>> next() override {
    while (!ended_) {
      auto left = end_ - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        deadline_hit_ = true;
        ended_ = true;
        break;
      }
      // Frames already buffered need no read, hence no deadline timer.
      Result<std::optional<Frame>> got = reader_->buffered();
      if (got.is_ok() && !got->has_value()) {
        auto run = co_await transport::with_deadline(reader_->next(), left);
        if (run.deadline_exceeded) {
          deadline_hit_ = true;
          ended_ = true;
          break;
        }
        got = std::move(run.value);
      }
      if (!got.is_ok()) {
        end_with(Status(StatusCode::kUnknown, got.status().message()), false);
        break;
      }
      if (!got->has_value()) {
        ended_ = complete_ = true;  // FIN
        break;
      }
      Frame f = std::move(**got);
      if (f.has(flags::kTrailer)) {
        ended_ = complete_ = true;
        // Client stream: an OK trailer is end of input, a non-OK one fails the call; an
        // undecodable one still ends input. Bidi takes any trailer as the end.
        if (client_stream_) {
          auto eoi = wire::decode_rpc_status(f.payload);
          if (eoi.is_ok() && eoi->code != 0) {
            end_with(Status(StatusCode::kInternal, "client sent non-OK EoI trailer (code=" +
                                                       std::to_string(eoi->code) + ")"),
                     true);
          }
        }
        break;
      }
      if (f.has(flags::kCancel)) continue;  // ignored on stateless streams
      if (client_stream_ && items_ >= kMaxClientStreamItems) {
        end_with(Status(StatusCode::kResourceExhausted,
                        "client stream exceeded " + std::to_string(kMaxClientStreamItems) +
                            " items"),
                 true);
        break;
      }
      ++items_;
      auto payload = wire::data_payload(std::move(f));
      if (!payload.is_ok()) {
        end_with(Status(StatusCode::kUnknown, payload.status().message()), false);
        break;
      }
      co_return std::move(*payload);
    }
    co_return std::nullopt;
  }

  void fail(Status status) override { end_with(std::move(status), false); }

  // Why input failed (OK when it did not), and whether 0.1.2 writes that trailer in the
  // stream's mode (item limit, non-OK end of input) or always in Fory (decode errors).
  const Status& failure() const { return failure_; }
  bool failure_in_stream_mode() const { return failure_in_stream_mode_; }
  bool deadline_hit() const { return deadline_hit_; }
  // The consumer ended its input (FIN or trailer) and every frame up to there was read.
  bool complete() const { return complete_; }

 private:
  void end_with(Status status, bool in_stream_mode) {
    if (failure_.is_ok()) {
      failure_ = std::move(status);
      failure_in_stream_mode_ = in_stream_mode;
    }
    ended_ = true;
  }

  wire::FrameReader* reader_;
  bool json_;
  bool client_stream_;
  std::chrono::steady_clock::time_point end_;
  size_t items_ = 0;
  bool ended_ = false;
  bool complete_ = false;
  bool deadline_hit_ = false;
  Status failure_;
  bool failure_in_stream_mode_ = false;
};

// After the trailer: input the handler left unread is read and dropped until the consumer's
// end, as 0.1.2 does (it reads a whole client stream before the handler, and its bidi reader
// runs until FIN), so a consumer still writing is not cut off. When input failed or the
// deadline passed there is nothing worth reading: STOP_SENDING.
asio::awaitable<void> drain_or_stop(transport::ByteStream& stream, StreamRequestSource& source) {
  if (source.failure().is_ok() && !source.deadline_hit()) {
    // Named, not `while (co_await source.next())`: GCC 12 corrupts the frame when the
    // awaited temporary dies in the loop condition (crashed in rpc_stream_patterns_test).
    while (true) {
      std::optional<std::vector<uint8_t>> dropped = co_await source.next();
      if (!dropped) break;
    }
  }
  if (!source.complete()) (void)stream.stop(0);
}

// How long a rejected call's remaining input is read and dropped (see reject_call).
constexpr std::chrono::seconds kRejectedInputGrace{10};

// An early rejection (after the header was decoded): the trailer, then the consumer's input
// is read and dropped until its FIN (at most kRejectedInputGrace). Stopping the receive side
// at once (dropping the stream) makes a 0.1.2 consumer still writing a client stream or bidi
// call, or finishing a server-stream request, fail with "sending stopped by peer" before it
// reads the trailer; seen in rpc_interop_test's unknown-method cases.
asio::awaitable<void> reject_call(transport::ByteStream& stream, wire::FrameReader& reader,
                                  Status status, bool json) {
  co_await write_trailer(stream, std::move(status), json);
  const auto end = std::chrono::steady_clock::now() + kRejectedInputGrace;
  while (true) {
    auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    auto run = co_await transport::with_deadline(reader.next(), left);
    if (run.deadline_exceeded || !run.value.is_ok()) break;
    if (!run.value->has_value()) co_return;  // FIN: all input read
  }
  (void)stream.stop(0);
}

asio::awaitable<void> serve_server_stream(const MethodBinding& m, transport::ByteStream& stream,
                                          wire::FrameReader& reader, CallContext& ctx,
                                          std::chrono::milliseconds read_bound,
                                          const CallControl* call) {
  std::optional<Result<std::vector<uint8_t>>> buffered = buffered_request(reader);
  if (!buffered) {
    auto waited = co_await read_request(reader, ctx, read_bound, call);
    buffered.emplace(std::move(waited));
  }
  Result<std::vector<uint8_t>>& request = *buffered;
  if (!request.is_ok()) {
    co_await write_trailer(stream, request.status(), false);
    co_return;
  }
  StreamSink sink(stream, ctx.json, std::chrono::steady_clock::now() + handler_budget(ctx));
  Status st = co_await m.server_stream(std::move(*request), ctx, sink);
  if (!sink.write_error().is_ok()) {
    // The consumer stopped reading or went away: nothing more can be delivered.
    (void)stream.reset(0);
    co_return;
  }
  if (sink.deadline_hit()) st = Status(StatusCode::kDeadlineExceeded, "deadline exceeded");
  co_await write_trailer(stream, st, st.is_ok() && ctx.json);
}

asio::awaitable<void> serve_client_stream(const MethodBinding& m, transport::ByteStream& stream,
                                          wire::FrameReader& reader, CallContext& ctx) {
  const auto budget = handler_budget(ctx);
  StreamRequestSource source(reader, ctx.json, /*client_stream=*/true,
                             std::chrono::steady_clock::now() + budget);
  // 0.1.2 bounds the handler with wait_for(min(remaining, 300 s)); here reading the input is
  // inside that budget too (0.1.2 reads it first, unbounded).
  auto run = co_await transport::with_deadline(m.client_stream(source, ctx), budget);
  if (run.deadline_exceeded || source.deadline_hit()) {
    co_await write_trailer(stream, Status(StatusCode::kDeadlineExceeded, "deadline exceeded"),
                           false);
    (void)stream.stop(0);
    co_return;
  }
  if (!source.failure().is_ok()) {
    co_await write_trailer(stream, source.failure(), source.failure_in_stream_mode() && ctx.json);
  } else if (!run.value.is_ok()) {
    co_await write_trailer(stream, run.value.status(), false);  // Fory even on JSON streams
  } else {
    co_await write_response(stream, *run.value, ctx.json);
  }
  co_await drain_or_stop(stream, source);
}

asio::awaitable<void> serve_bidi(const MethodBinding& m, transport::ByteStream& stream,
                                 wire::FrameReader& reader, CallContext& ctx) {
  const auto end = std::chrono::steady_clock::now() + handler_budget(ctx);
  // 0.1.2 checks the deadline between response items; here reads give up at it as well.
  StreamRequestSource source(reader, ctx.json, /*client_stream=*/false, end);
  StreamSink sink(stream, ctx.json, end);
  Status st = co_await m.bidi(source, ctx, sink);
  if (!sink.write_error().is_ok()) {
    // The consumer stopped reading or went away: nothing more can be delivered.
    (void)stream.reset(0);
    (void)stream.stop(0);
    co_return;
  }
  bool stream_mode = st.is_ok() && ctx.json;
  if (sink.deadline_hit() || source.deadline_hit()) {
    st = Status(StatusCode::kDeadlineExceeded, "deadline exceeded");
    stream_mode = false;
  } else if (!source.failure().is_ok()) {
    // 0.1.2 takes an unreadable request as the end of bidi input and may then end the call
    // OK; the failure is reported instead (docs/compatibility.md).
    st = source.failure();
    stream_mode = source.failure_in_stream_mode() && ctx.json;
  }
  co_await write_trailer(stream, st, stream_mode);
  co_await drain_or_stop(stream, source);
}

// A consumer sends the same header bytes for every call of one method without a call id, a
// deadline or metadata (ours keeps them framed, src/rpc/call.cpp `plain_header_frame`): this
// thread keeps the last few such headers it decoded and copies one when the bytes match, instead of
// decoding the Fory again (≈3% of a producer's time per unary call in a profile of
// `aster_rpc_bench serve`, 2026-12-05). Headers with any of the three change from call to call
// and are decoded every time.
struct DecodedHeader {
  std::vector<uint8_t> bytes;
  wire::StreamHeader header;
  uint64_t id = 0;  // never the same for two kept headers (UnaryCall::RouteMemo)
};
constexpr size_t kKeptHeaders = 8;
thread_local std::array<std::optional<DecodedHeader>, kKeptHeaders> kept_headers;
thread_local size_t next_kept_header = 0;
// One counter for every thread's kept headers, so that an id names one header in the process.
std::atomic<uint64_t> kept_header_ids{0};

// The kept header whose bytes are `payload`, if any: valid until this thread keeps another
// (decoded_and_kept). A unary call whose bytes came whole reads it there (whole_unary), without
// the copy decoded_header makes.
const DecodedHeader* kept_entry(std::span<const uint8_t> payload) {
  for (const auto& d : kept_headers) {
    if (d && std::equal(d->bytes.begin(), d->bytes.end(), payload.begin(), payload.end())) {
      return &*d;
    }
  }
  return nullptr;
}
const wire::StreamHeader* kept_header(std::span<const uint8_t> payload) {
  const DecodedHeader* d = kept_entry(payload);
  return d != nullptr ? &d->header : nullptr;
}

// Decodes a header that is not kept, and keeps it if it may be (decoded_header's second half,
// for a caller that looked it up already).
Result<wire::StreamHeader> decoded_and_kept(std::span<const uint8_t> payload) {
  auto header = wire::decode_stream_header(payload);
  if (header.is_ok() && header->call_id.empty() && header->deadline_epoch_ms == 0 &&
      header->metadata_keys.empty() && header->metadata_values.empty()) {
    kept_headers[next_kept_header].emplace(
        DecodedHeader{{payload.begin(), payload.end()}, *header, ++kept_header_ids});
    next_kept_header = (next_kept_header + 1) % kKeptHeaders;
  }
  return header;
}

Result<wire::StreamHeader> decoded_header(std::span<const uint8_t> payload) {
  if (const wire::StreamHeader* kept = kept_header(payload)) return *kept;
  return decoded_and_kept(payload);
}

// The call's context from its header, whose strings move into it (filled in place: a
// CallContext is a dozen members to move).
void fill_context(CallContext& ctx, wire::StreamHeader& header, std::string peer, bool json,
                  PeerAttributes attributes) {
  ctx.service = std::move(header.service);
  ctx.method = std::move(header.method);
  ctx.call_id = std::move(header.call_id);
  ctx.peer = std::move(peer);
  ctx.json = json;
  ctx.attributes = std::move(attributes);
  const size_t n = std::min({header.metadata_keys.size(), header.metadata_values.size(),
                             kMaxMetadataEntries});
  for (size_t i = 0; i < n; ++i) {
    ctx.metadata.emplace_back(std::move(header.metadata_keys[i]),
                              std::move(header.metadata_values[i]));
  }
  if (header.deadline_epoch_ms != 0) {
    ctx.deadline = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(header.deadline_epoch_ms));
  }
}

// fill_context for a kept header (kept_header): it has no call id, metadata or deadline, and
// its names are copied, not moved (it stays kept for the next call).
// Every field is set: `ctx` may be a call loop's, kept from its last call, whose strings are
// assigned over (their buffers reused: the peer's 64 characters were an allocation per call).
void fill_context_from_kept(CallContext& ctx, const wire::StreamHeader& kept,
                            const std::string& peer, bool json, PeerAttributes attributes) {
  // A loop's calls usually repeat these: compared, not assigned again.
  auto set = [](std::string& to, const std::string& from) {
    if (to != from) to = from;
  };
  set(ctx.service, kept.service);
  set(ctx.method, kept.method);
  ctx.call_id.clear();
  set(ctx.peer, peer);
  ctx.metadata.clear();
  ctx.deadline.reset();
  ctx.json = json;
  ctx.session_id.clear();
  ctx.attributes = std::move(attributes);
}

}  // namespace

Status ServiceImpl::check() const {
  if (!error_.is_ok()) return error_;
  for (const auto& m : desc_->methods()) {
    if (bindings_.count(m.name) == 0) {
      return Status(StatusCode::kInvalidArgument,
                    desc_->name() + "." + m.name + " has no handler");
    }
  }
  return Status::ok();
}

Status Dispatcher::add(ServiceImpl impl) {
  const auto& d = impl.desc();
  if (d.scope() != contract::ScopeKind::kShared) {
    return Status(StatusCode::kInvalidArgument,
                  d.name() + " is session-scoped: bind it with SessionImpl (session_impl.hpp)");
  }
  ASTER_RETURN_IF_ERROR(impl.check());
  auto key = std::make_pair(d.name(), static_cast<int64_t>(d.version()));
  if (services_.count(key) != 0 || sessions_.count(key) != 0) {
    return Status(StatusCode::kAlreadyExists,
                  d.name() + " v" + std::to_string(d.version()) + " is already served");
  }
  auto it = services_.emplace(key, std::move(impl)).first;
  routes_id_ = next_routes_id();
  order_.push_back(&it->second.desc());
  return Status::ok();
}

Status Dispatcher::add(SessionServiceImpl impl) {
  ASTER_RETURN_IF_ERROR(impl.check());
  const auto& d = impl.desc();
  auto key = std::make_pair(d.name(), static_cast<int64_t>(d.version()));
  if (services_.count(key) != 0 || sessions_.count(key) != 0) {
    return Status(StatusCode::kAlreadyExists,
                  d.name() + " v" + std::to_string(d.version()) + " is already served");
  }
  auto it = sessions_.emplace(key, std::move(impl)).first;
  routes_id_ = next_routes_id();
  order_.push_back(&it->second.desc());
  return Status::ok();
}

Result<Dispatcher::Routed> Dispatcher::route(const wire::StreamHeader& header,
                                             const std::string& peer) const {
  auto it = services_.find(std::pair<std::string_view, int64_t>{header.service, header.version});
  if (it == services_.end()) {
    return Status(StatusCode::kNotFound, "Service '" + header.service + "' v" +
                                             std::to_string(header.version) + " not found");
  }
  const ServiceImpl& service = it->second;
  if (header.method.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "'" + header.service +
                      "' is shared: send a method name instead of opening a session stream "
                      "(method='')");
  }
  const MethodBinding* method = service.find(header.method);
  if (method == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  "Method '" + header.service + "." + header.method + "' not implemented");
  }
  // Modes: the service's declared ones plus JSON; 1 (native) and 2 (row) are treated as
  // unsupported (0.1.2 would silently run them through its XLANG codec).
  const int64_t mode = header.serialization_mode;
  if (mode != 0 && mode != 3) {
    return Status(StatusCode::kInvalidArgument,
                  "Unsupported serialization mode: " + std::to_string(mode));
  }
  // 0.1.2's interceptors in its order: capabilities (Gate 3), then the deadline
  // (deadline_rule.hpp). The binding knows its declaration (ServiceImpl::bind).
  const contract::MethodDesc* declared =
      method->desc != nullptr ? method->desc : service.desc().find_method(header.method);
  PeerAttributes attributes = attributes_of(peer);
  ASTER_RETURN_IF_ERROR(check_capabilities(service.desc(), declared, attributes));
  ASTER_RETURN_IF_ERROR(expired_deadline(header.deadline_epoch_ms));
  return Routed{method, std::move(attributes), &service.desc(), declared};
}

uint64_t Dispatcher::next_routes_id() {
  static std::atomic<uint64_t> ids{0};
  return ++ids;
}

bool Dispatcher::whole_unary(std::span<const uint8_t> bytes, const std::string& peer,
                             UnaryCall& call) const {
  wire::FrameSpanReader frames(bytes);
  auto first = frames.next();
  if (!first.is_ok() || !first->has_value() || !(*first)->has(flags::kHeader)) return false;
  // The kept header in place when there is one (no copy of it per call), else decoded.
  const DecodedHeader* kept_d = kept_entry((*first)->payload);
  const wire::StreamHeader* kept = kept_d != nullptr ? &kept_d->header : nullptr;
  std::optional<wire::StreamHeader> decoded;
  if (kept == nullptr) {
    auto got = decoded_and_kept((*first)->payload);
    if (!got.is_ok()) return false;
    decoded.emplace(std::move(*got));
  }
  const wire::StreamHeader* header = kept != nullptr ? kept : &*decoded;
  // A call to refuse (a session-scoped service among them: route finds no shared one) is
  // refused by serve_framed, which also reads what follows.
  const MethodBinding* method = nullptr;
  PeerAttributes attributes;
  UnaryCall::RouteMemo& memo = call.memo;
  if (kept_d != nullptr && memo.routes == routes_id_ && memo.header == kept_d->id) {
    // Routed as the last call with this header was (a kept one has no deadline to check):
    // only the peer's attributes are judged again. Looking the service and the method up
    // was ≈ 300 instructions of every call (callgrind, aster_rpc_bench local).
    attributes = attributes_of(peer);
    if (!check_capabilities(*memo.service, memo.declared, attributes).is_ok()) return false;
    method = memo.method;
  } else {
    auto routed = route(*header, peer);
    if (!routed.is_ok() || !routed->method->unary) return false;
    method = routed->method;
    attributes = std::move(routed->attributes);
    if (kept_d != nullptr) {
      memo = UnaryCall::RouteMemo{routes_id_, kept_d->id, method, routed->service,
                                  routed->declared};
    }
  }
  // The request: the first data frame after the header (CANCEL frames skipped), as
  // buffered_request takes it; read in place unless it is compressed. Anything odd (a trailer,
  // a bad frame, no request) is for serve_framed to answer.
  std::optional<wire::FrameView> request;
  while (!request) {
    auto frame = frames.next();
    if (!frame.is_ok() || !frame->has_value() || (*frame)->has(flags::kTrailer)) return false;
    if (!(*frame)->has(flags::kCancel)) request = **frame;
  }
  if (request->has(flags::kCompressed)) {
    auto decompressed = wire::data_payload(*request);
    if (!decompressed.is_ok()) return false;
    call.request = std::move(*decompressed);
    call.in_place.reset();
  } else {
    call.in_place = request->payload;
  }
  call.method = method;
  const bool json =
      header->serialization_mode == static_cast<int64_t>(wire::SerializationMode::kJson);
  if (kept != nullptr) {
    fill_context_from_kept(call.ctx, *kept, peer, json, std::move(attributes));
  } else {
    call.ctx = CallContext{};
    fill_context(call.ctx, *decoded, peer, json, std::move(attributes));
  }
  return true;
}

bool Dispatcher::take_whole_unary(transport::ByteStream& stream, const std::string& peer,
                                  UnaryCall& call) const {
  auto whole = stream.whole();
  return whole && whole_unary(*whole, peer, call);
}

Dispatcher::Answering Dispatcher::answer_now(transport::ByteStream& stream,
                                             const Result<std::vector<uint8_t>>& answer,
                                             bool timed_out) {
  if (timed_out || !answer.is_ok() || answer->empty()) return Answering::kUnsent;
  transport::SendStream* send = stream.quic_send();
  if (send == nullptr) return Answering::kUnsent;
  return send->start_write_and_finish(*answer) ? Answering::kSent : Answering::kWriting;
}

asio::awaitable<void> Dispatcher::answer(transport::ByteStream& stream,
                                         Result<std::vector<uint8_t>> answer, bool timed_out,
                                         Answering state) {
  if (state == Answering::kSent) co_return;
  if (state == Answering::kWriting) {
    auto waiting = stream.quic_send()->write_pending();  // named: GCC 12 (see within)
    (void)co_await std::move(waiting);
    co_return;
  }
  if (timed_out) {
    co_await write_trailer(stream, Status(StatusCode::kDeadlineExceeded, "deadline exceeded"),
                           false);
    co_return;
  }
  if (!answer.is_ok()) {
    // Handler and decode errors go out as Fory trailers even on JSON streams, as 0.1.2 does
    // (server.py: they reach `_write_error_trailer` without the stream's mode).
    co_await write_trailer(stream, answer.status(), false);
    co_return;
  }
  // Not QUIC, or an empty answer.
  (void)co_await stream.write_and_finish(*answer);
}

asio::awaitable<void> Dispatcher::serve_stream(transport::ByteStream& stream, std::string peer,
                                               const CallControl* call, bool whole_tried) const {
  // A unary call whose bytes all came with its stream (the usual case) is read where they
  // are, with no FrameReader; anything else goes through serve_framed.
  std::optional<UnaryCall> unary;
  if (!whole_tried) {
    unary.emplace();
    if (!take_whole_unary(stream, peer, *unary)) unary.reset();
  }
  if (!unary) {
    auto framed = co_await serve_framed(stream, std::move(peer), call);
    if (!framed) co_return;
    unary.emplace(std::move(*framed));
  }
  // A unary call is served here rather than in a coroutine of its own: a frame fewer on
  // every call (docs/rpc.md "Per-call cost on the producer"). aster::Server's call loops run
  // the same steps for a whole unary call themselves (server.cpp `call_loop`): change both.
  const MethodBinding& method = *unary->method;
  CallContext& ctx = unary->ctx;
  try {
    if (!unary->in_place && !unary->request.is_ok()) {
      co_await write_trailer(stream, unary->request.status(), false);
      co_return;
    }
    const std::span<const uint8_t> request = unary->request_bytes();
    // The handler under its budget. With the connection's CallDeadlines this is `within`'s
    // first branch written out, so that a unary call has no coroutine frame for it.
    Result<std::vector<uint8_t>> answered;
    bool timed_out = false;
    if (call != nullptr && call->deadlines != nullptr && call->signal != nullptr) {
      {
        CallDeadlines::Bound bounded(*call->deadlines,
                                     std::chrono::steady_clock::now() + handler_budget(ctx),
                                     *call->signal);
        // named: GCC 12 (see within)
        auto got = co_await method.unary(request, ctx);
        answered = std::move(got);
        timed_out = bounded.fired();
      }
      if (timed_out) co_await asio::this_coro::reset_cancellation_state();
    } else {
      auto run = co_await within(method.unary(request, ctx), handler_budget(ctx),
                                 call);
      answered = std::move(run.value);
      timed_out = run.deadline_exceeded;
    }
    // The response and the OK trailer: on QUIC with no coroutine frame when the write
    // completes at once, as a short answer's does.
    const Answering state = answer_now(stream, answered, timed_out);
    if (state != Answering::kSent) {
      auto rest = answer(stream, std::move(answered), timed_out, state);  // named: GCC 12
      co_await std::move(rest);
    }
  } catch (...) {
    // Only Asio cancellation (server shutdown) gets here; the stream is abandoned.
    (void)stream.reset(0);
  }
}

asio::awaitable<std::optional<Dispatcher::UnaryCall>> Dispatcher::serve_framed(
    transport::ByteStream& stream, std::string peer, const CallControl* call) const {
  wire::FrameReader reader(stream);
  // The header usually came with the stream: then it is decoded where the reader holds it.
  Result<std::optional<wire::FrameView>> first = reader.buffered_view();
  Frame waited_head;  // one that had to be waited for
  if (first.is_ok() && !first->has_value()) {
    auto waited = co_await next_frame_within(reader, request_read_timeout_, call);
    if (!waited.is_ok()) {
      first = std::move(waited).take_status();
    } else if (waited->has_value()) {
      waited_head = std::move(**waited);
      first = std::optional<wire::FrameView>(
          wire::FrameView{waited_head.flags, waited_head.payload});
    }
  }
  if (!first.is_ok() && first.status().code() == StatusCode::kDeadlineExceeded) {
    // A header that never comes: INTERNAL, as 0.1.2 answers any failure to read the first frame.
    co_await write_trailer(
        stream, Status(StatusCode::kInternal, no_frame_message("StreamHeader", request_read_timeout_)),
        false);
    co_return std::nullopt;
  }
  if (!first.is_ok()) {
    co_await write_trailer(stream, Status(StatusCode::kInternal, first.status().message()), false);
    co_return std::nullopt;
  }
  if (!first->has_value()) {
    (void)co_await stream.finish();  // EOF before any frame: nothing to answer
    co_return std::nullopt;
  }
  // Valid until the reader's next call: decoded below before anything else is read.
  const wire::FrameView head = **first;
  if (!head.has(flags::kHeader)) {
    co_await write_trailer(
        stream, Status(StatusCode::kInternal, "First frame must have HEADER flag"), false);
    co_return std::nullopt;
  }
  auto header = decoded_header(head.payload);
  if (!header.is_ok()) {
    co_await write_trailer(stream, Status(StatusCode::kInternal, "Invalid StreamHeader"), false);
    co_return std::nullopt;
  }
  const bool json = header->serialization_mode == static_cast<int64_t>(wire::SerializationMode::kJson);
  auto reject = [&](StatusCode code, std::string message) {
    return reject_call(stream, reader, Status(code, std::move(message)), json);
  };
  if (header->service.empty()) {
    co_await reject(StatusCode::kInvalidArgument, "Missing service name");
    co_return std::nullopt;
  }
  const std::pair<std::string_view, int64_t> key{header->service, header->version};
  if (auto session = sessions_.find(key); session != sessions_.end()) {
    // A session-scoped service: only session streams (method "") (0.1.2 server.py).
    if (!header->method.empty()) {
      co_await reject(StatusCode::kFailedPrecondition,
                      "'" + header->service + "' is session-scoped: open a session stream "
                      "(method='') instead of calling method '" + header->method + "' directly");
      co_return std::nullopt;
    }
    co_await serve_session(session->second, stream, reader, *header, std::move(peer), *this);
    co_return std::nullopt;
  }
  auto routed = route(*header, peer);
  if (!routed.is_ok()) {
    co_await reject_call(stream, reader, routed.status(), json);
    co_return std::nullopt;
  }
  const MethodBinding* method = routed->method;
  CallContext ctx;
  fill_context(ctx, *header, std::move(peer), json, std::move(routed->attributes));
  try {
    if (method->unary) {
      // A unary call, served here rather than in a coroutine of its own: a frame fewer on
      // every call (docs/rpc.md "Per-call cost on the producer").
      std::optional<Result<std::vector<uint8_t>>> buffered = buffered_request(reader);
      if (!buffered) {
        auto waited = co_await read_request(reader, ctx, request_read_timeout_, call);
        buffered.emplace(std::move(waited));
      }
      co_return UnaryCall{method, std::move(*buffered), std::nullopt, std::move(ctx)};
    } else if (method->server_stream) {
      co_await serve_server_stream(*method, stream, reader, ctx, request_read_timeout_, call);
    } else if (method->client_stream) {
      co_await serve_client_stream(*method, stream, reader, ctx);
    } else {
      co_await serve_bidi(*method, stream, reader, ctx);
    }
  } catch (...) {
    // Only Asio cancellation (server shutdown) gets here; the stream is abandoned.
    (void)stream.reset(0);
  }
  co_return std::nullopt;
}

}  // namespace aster::rpc

namespace aster::rpc::detail {

std::span<const uint8_t> ok_trailer_frame(bool json) {
  // Framed once per mode. encode_message cannot fail for an empty RpcStatus; were it to, the
  // frame would be empty and the consumer would see a stream without its trailer (UNAVAILABLE).
  auto framed = [](bool text) {
    std::vector<uint8_t> out;
    const auto& ok = ok_trailer(text);
    if (ok.is_ok()) (void)wire::append_frame(out, wire::flags::kTrailer, *ok);
    return out;
  };
  static const std::vector<uint8_t> fory = framed(false);
  static const std::vector<uint8_t> text = framed(true);
  return json ? text : fory;
}

Status status_of_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const RpcError& err) {
    return err.status().is_ok() ? Status(StatusCode::kUnknown, "RpcError with OK status")
                                : err.status();
  } catch (const std::exception& err) {
    return Status(StatusCode::kUnknown, err.what());
  } catch (...) {
    return Status(StatusCode::kUnknown, "unknown exception");
  }
}

bool same_type(const codec::TypeRef& a, const codec::TypeRef& b) {
  if (!a || !b) return a == b;
  if (a->kind != b->kind) return false;
  if (a->struct_type != b->struct_type) {
    if (!a->struct_type || !b->struct_type) return false;
    if (a->struct_type->tag() != b->struct_type->tag()) return false;
  }
  if (a->enum_type != b->enum_type) return false;
  if (!same_type(a->element, b->element)) return false;
  return same_type(a->key, b->key);
}

}  // namespace aster::rpc::detail
