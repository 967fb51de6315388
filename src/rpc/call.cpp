#include "aster/rpc/call.hpp"

#include "aster/rpc/service_client.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <random>

#include "aster/rpc/payload.hpp"
#include "aster/transport/deadline.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster/transport/quic_byte_stream.hpp"
#include "aster/wire/compression.hpp"
#include "aster/wire/messages.hpp"

namespace aster::rpc {
namespace {

namespace flags = wire::flags;

// The HEADER frame of a call without a call id, deadline or metadata (a unary call without a
// timeout) is the same for every call of one method: this thread keeps the last few it
// framed, so such a call copies its header instead of building and encoding a StreamHeader.
// Null when the header cannot be framed (a name of megabytes): header_frame then says why.
const std::vector<uint8_t>* plain_header_frame(const CallTarget& target) {
  struct Framed {
    CallTarget target;
    std::vector<uint8_t> bytes;
  };
  constexpr size_t kKept = 8;
  thread_local std::array<std::optional<Framed>, kKept> kept;
  thread_local size_t next_slot = 0;
  for (const auto& e : kept) {
    if (e && e->target.version == target.version && e->target.json == target.json &&
        e->target.method == target.method && e->target.service == target.service) {
      return &e->bytes;
    }
  }
  std::vector<uint8_t> framed;
  if (!wire::append_frame(framed, flags::kHeader, encode_call_header(target, "", CallOptions{}))
           .is_ok()) {
    return nullptr;
  }
  auto& slot = kept[next_slot];
  next_slot = (next_slot + 1) % kKept;
  slot.emplace(Framed{target, std::move(framed)});
  return &slot->bytes;
}

// The request frames: HEADER then one data frame.
Result<std::vector<uint8_t>> request_frames(const CallTarget& target, const std::string& call_id,
                                            std::span<const uint8_t> request,
                                            const CallOptions& options) {
  std::vector<uint8_t> built;
  ASTER_ASSIGN_OR_RETURN(std::span<const uint8_t> header,
                         header_frame(target, call_id, options, built));
  return detail::frame_between(header, request, target.json, {});
}

// Runs `op` unless `deadline` passes first (nullopt then; the operation was cancelled).
template <typename T>
asio::awaitable<std::optional<T>> within(std::optional<std::chrono::steady_clock::time_point> deadline,
                                         asio::awaitable<T> op) {
  if (!deadline) co_return std::optional<T>(co_await std::move(op));
  auto left = *deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) co_return std::nullopt;
  auto run = co_await transport::with_deadline(std::move(op), left);
  if (run.deadline_exceeded) co_return std::nullopt;
  co_return std::optional<T>(std::move(run.value));
}

// What one received frame means for the call: a payload, the end (OK trailer), or an error.
struct Received {
  std::optional<std::vector<uint8_t>> payload;
  bool ended = false;
};

// Whether `payload` is byte for byte the OK status as we encode it (in either mode), which a
// producer of ours sends on every successful call: no decoding needed then. Any other OK
// trailer (a 0.1.2 producer's, say) is decoded as usual.
bool is_our_ok_trailer(std::span<const uint8_t> payload) {
  static const std::vector<uint8_t> fory =
      wire::encode_message(wire::RpcStatus{}, false).value_or(std::vector<uint8_t>{});
  static const std::vector<uint8_t> text =
      wire::encode_message(wire::RpcStatus{}, true).value_or(std::vector<uint8_t>{});
  auto same = [&](const std::vector<uint8_t>& ok) {
    return !ok.empty() && std::equal(payload.begin(), payload.end(), ok.begin(), ok.end());
  };
  return same(fory) || same(text);
}

// `reader` says why a stream ended early: a failed read that the reader took for an end (as
// 0.1.2 does) is still UNAVAILABLE, but its reason (a reset, the connection's loss) is named.
// `Frame` is wire::Frame, or wire::FrameView for a frame still in the reader's buffer.
// `end_reason`: why the stream ended if a read failed (FrameReader::end_reason), else OK.
template <typename Frame>
Result<Received> interpret(Result<std::optional<Frame>> frame, const Status& end_reason) {
  if (!frame.is_ok()) {
    return Status(StatusCode::kUnavailable, "stream reset by peer: " + frame.status().message());
  }
  if (!frame->has_value()) {
    const Status& why = end_reason;
    if (why.is_ok()) return Status(StatusCode::kUnavailable, "stream ended before the trailer");
    return Status(StatusCode::kUnavailable, "stream ended before the trailer: " + why.message());
  }
  Frame f = std::move(**frame);
  if (f.has(flags::kTrailer)) {
    if (is_our_ok_trailer(f.payload)) return Received{std::nullopt, true};
    ASTER_ASSIGN_OR_RETURN(auto status, wire::decode_rpc_status(f.payload));
    ASTER_RETURN_IF_ERROR(wire::to_status(status));
    return Received{std::nullopt, true};
  }
  if (f.has(flags::kRowSchema) || f.has(flags::kHeader) || f.has(flags::kCall) ||
      f.has(flags::kCancel)) {
    return Received{};  // nothing for us (0.1.2 clients skip ROW_SCHEMA)
  }
  ASTER_ASSIGN_OR_RETURN(auto payload, wire::data_payload(std::move(f)));
  return Received{std::move(payload), false};
}

template <typename Frame>
Result<Received> interpret(Result<std::optional<Frame>> frame, const wire::FrameReader& reader) {
  return interpret(std::move(frame), reader.end_reason());
}

Status deadline_status() { return Status(StatusCode::kDeadlineExceeded, "deadline exceeded"); }

// The one response of a unary or client-stream call up to its OK trailer, read a frame at a
// time; STOP_SENDING 1 after an error, as 0.1.2's client does.
class SingleResponse {
 public:
  // The call's outcome once `frame` (or the reader's end or error) settles it.
  template <typename Frame>
  std::optional<Result<std::vector<uint8_t>>> take(Result<std::optional<Frame>> frame,
                                                   const wire::FrameReader& reader,
                                                   transport::ByteStream& stream) {
    return take(std::move(frame), reader.end_reason(), &stream);
  }
  // The same for frames read without a stream (`stream` null: nothing left to stop).
  template <typename Frame>
  std::optional<Result<std::vector<uint8_t>>> take(Result<std::optional<Frame>> frame,
                                                   const Status& end_reason,
                                                   transport::ByteStream* stream) {
    auto got = interpret(std::move(frame), end_reason);
    if (!got.is_ok()) {
      if (stream != nullptr) (void)stream->stop(1);
      return Result<std::vector<uint8_t>>(got.status());
    }
    if (got->ended) {
      if (!response_) return Result<std::vector<uint8_t>>(
          Status(StatusCode::kInternal, "OK trailer without a response"));
      return Result<std::vector<uint8_t>>(std::move(*response_));
    }
    if (!got->payload) return std::nullopt;
    if (response_) {
      if (stream != nullptr) (void)stream->stop(1);
      return Result<std::vector<uint8_t>>(
          Status(StatusCode::kInternal, "call got more than one response"));
    }
    response_ = std::move(got->payload);
    return std::nullopt;
  }

  // The outcome from the frames the reader holds already, or nullopt when it has to wait. A
  // unary call's answer is usually all there (Channel::open_call completes with its first
  // bytes), and then the call needs no coroutine to read it.
  // The outcome from a whole answer already in memory (OpenedStream::answer), read in place.
  Result<std::vector<uint8_t>> take_whole(std::span<const uint8_t> answer) {
    wire::FrameSpanReader frames(answer);
    const Status clean_end;
    while (true) {
      if (auto done = take(frames.next(), clean_end, nullptr)) return std::move(*done);
    }
  }

  std::optional<Result<std::vector<uint8_t>>> take_buffered(wire::FrameReader& reader,
                                                            transport::ByteStream& stream) {
    while (true) {
      // Views: the trailer needs no copy, the response one (data_payload's).
      Result<std::optional<wire::FrameView>> frame = reader.buffered_view();
      if (frame.is_ok() && !frame->has_value()) return std::nullopt;
      if (auto done = take(std::move(frame), reader, stream)) return done;
    }
  }

 private:
  std::optional<std::vector<uint8_t>> response_;
};

// Reads until the outcome, going on from what `single` took already.
asio::awaitable<Result<std::vector<uint8_t>>> read_single_response(wire::FrameReader& reader,
                                                                 transport::ByteStream& stream,
                                                                 SingleResponse single = {}) {
  while (true) {
    if (auto done = single.take_buffered(reader, stream)) co_return std::move(*done);
    auto waited = co_await reader.next();
    if (auto done = single.take(std::move(waited), reader, stream)) co_return std::move(*done);
  }
}

// A unary call's outcome from its response and the status its request went out with: a
// refused write means the producer stopped reading, and its trailer (if any) says why.
Result<std::vector<uint8_t>> unary_outcome(Result<std::vector<uint8_t>> response,
                                           Status sent) {
  if (!response.is_ok() && !sent.is_ok() &&
      response.status().code() == StatusCode::kUnavailable) {
    return sent;
  }
  return response;
}

// The response of a unary call whose request went out with status `sent`.
asio::awaitable<Result<std::vector<uint8_t>>> unary_response(transport::ByteStream& stream,
                                                           Status sent) {
  wire::FrameReader reader(stream);
  auto response = co_await read_single_response(reader, stream);
  co_return unary_outcome(std::move(response), std::move(sent));
}

// Writes a unary call's frames and reads its response.
asio::awaitable<Result<std::vector<uint8_t>>> unary_exchange(transport::ByteStream& stream,
                                                           std::span<const uint8_t> frames) {
  // 0.1.2 writes the request in one write, then finishes.
  Status sent = co_await stream.write_and_finish(frames);
  co_return co_await unary_response(stream, std::move(sent));
}

// unary_exchange under the call's timeout, if it has one.
asio::awaitable<Result<std::vector<uint8_t>>> unary_on(transport::ByteStream& stream,
                                                     std::span<const uint8_t> frames,
                                                     const CallOptions& options) {
  if (!options.timeout) co_return co_await unary_exchange(stream, frames);
  auto run = co_await transport::with_deadline(unary_exchange(stream, frames), *options.timeout);
  if (run.deadline_exceeded) {
    (void)stream.reset(1);
    (void)stream.stop(1);
    co_return deadline_status();
  }
  co_return std::move(run.value);
}

// A response read as a copy into `response`; the call's status.
Status owned(Result<std::vector<uint8_t>> got, UnaryResponse& response) {
  if (!got.is_ok()) return got.status();
  response.own(std::move(*got));
  return Status::ok();
}

// The outcome of a unary call from its whole answer. The usual answer, one uncompressed data
// frame and our OK trailer, leaves its payload in place; anything else is read as
// SingleResponse reads it (and copied).
Status whole_outcome(transport::Chunk answer, UnaryResponse& response) {
  wire::FrameSpanReader frames(answer.bytes());
  auto first = frames.next();
  if (first.is_ok() && first->has_value() && (*first)->flags == 0) {
    const std::span<const uint8_t> payload = (*first)->payload;
    auto second = frames.next();
    if (second.is_ok() && second->has_value() && (*second)->flags == flags::kTrailer &&
        is_our_ok_trailer((*second)->payload)) {
      response.hold(std::move(answer), payload);
      return Status::ok();
    }
  }
  return owned(SingleResponse().take_whole(answer.bytes()), response);
}

Status open_failed(const Status& st) { return Status(StatusCode::kUnavailable, st.message()); }


// A unary call on a stream opened with its request. `would_wait` when the peer had no stream
// credit (nothing was sent); `stream` holds the stream once open, for the caller's deadline.
asio::awaitable<Status> unary_opened_with(Channel& channel, std::span<const uint8_t> frames,
                                          std::unique_ptr<transport::ByteStream>& stream,
                                          bool& would_wait, UnaryResponse& response) {
  auto opened = co_await channel.open_call(frames);
  if (!opened.is_ok()) co_return open_failed(opened.status());
  if (opened->answer) co_return whole_outcome(std::move(*opened->answer), response);
  if (!opened->stream) {
    would_wait = true;
    co_return Status(StatusCode::kUnavailable, "no stream credit");
  }
  stream = std::move(opened->stream);
  co_return owned(co_await unary_response(*stream, std::move(opened->sent)), response);
}

// The HEADER frame of a streaming call, written on its own as 0.1.2 does.
asio::awaitable<Status> write_header(transport::ByteStream& stream, const CallTarget& target,
                                     const CallOptions& options) {
  std::vector<uint8_t> out;
  ASTER_CO_RETURN_IF_ERROR(
      wire::append_frame(out, flags::kHeader, encode_call_header(target, new_call_id(), options)));
  co_return co_await stream.write(out);
}

}  // namespace

std::string new_call_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::vector<uint8_t> encode_call_header(const CallTarget& target, const std::string& call_id,
                                        const CallOptions& options) {
  wire::StreamHeader h;
  h.service = target.service;
  h.method = target.method;
  h.version = target.version;
  h.call_id = call_id;
  if (options.timeout) {
    h.deadline_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              (std::chrono::system_clock::now() + *options.timeout)
                                  .time_since_epoch())
                              .count();
  }
  h.serialization_mode = static_cast<int64_t>(target.json ? wire::SerializationMode::kJson
                                                          : wire::SerializationMode::kXlang);
  for (const auto& [k, v] : options.metadata) {
    h.metadata_keys.push_back(k);
    h.metadata_values.push_back(v);
  }
  return wire::encode_message(h, target.json).value_or({});
}

Result<std::span<const uint8_t>> header_frame(const CallTarget& target,
                                              const std::string& call_id,
                                              const CallOptions& options,
                                              std::vector<uint8_t>& scratch) {
  if (call_id.empty() && !options.timeout && options.metadata.empty()) {
    if (const std::vector<uint8_t>* kept = plain_header_frame(target)) return std::span(*kept);
  }
  scratch.clear();
  ASTER_RETURN_IF_ERROR(wire::append_frame(scratch, flags::kHeader,
                                           encode_call_header(target, call_id, options)));
  return std::span<const uint8_t>(scratch);
}

asio::awaitable<Result<std::vector<uint8_t>>> call_unary(transport::ByteStream& stream,
                                                       const CallTarget& target,
                                                       std::span<const uint8_t> request,
                                                       const CallOptions& options) {
  auto frames = request_frames(target, "", request, options);
  if (!frames.is_ok()) co_return frames.status();
  co_return co_await unary_on(stream, *frames, options);
}

asio::awaitable<Result<OpenedStream>> Channel::open_stream_with(
    std::span<const uint8_t> request) {
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await open_stream());
  Status sent = co_await stream->write_and_finish(request);
  co_return OpenedStream{std::move(stream), std::move(sent), std::nullopt};
}

asio::awaitable<Result<OpenedStream>> Channel::open_call(std::span<const uint8_t> request) {
  return open_stream_with(request);
}

namespace {

// The rest of a unary call whose answer goes on past what came with the open (`stream` is
// kept alive here until it is read).
asio::awaitable<Status> unary_rest(std::unique_ptr<transport::ByteStream> stream, Status sent,
                                   UnaryResponse& response) {
  co_return owned(co_await unary_response(*stream, std::move(sent)), response);
}

// A unary call that found the peer's stream limit reached: waits for credit, then sends a
// header built now (its deadline starts when the stream opens) before the data frame built
// already.
asio::awaitable<Status> unary_after_credit(Channel& channel, const CallTarget& target,
                                           std::span<const uint8_t> frames,
                                           const CallOptions& options, UnaryResponse& response) {
  auto opened = co_await channel.open_stream();
  if (!opened.is_ok()) co_return open_failed(opened.status());
  wire::FrameSpanReader old_frames(frames);
  auto old_header = old_frames.next();
  if (!old_header.is_ok() || !old_header->has_value()) {
    co_return Status(StatusCode::kInternal, "a unary call's frames without their header");
  }
  const size_t data_at = wire::kFramePrefixSize + (*old_header)->payload.size();
  std::vector<uint8_t> built;
  auto header = header_frame(target, "", options, built);
  if (!header.is_ok()) co_return header.status();
  std::vector<uint8_t> again(header->begin(), header->end());
  again.insert(again.end(), frames.begin() + static_cast<ptrdiff_t>(data_at), frames.end());
  co_return owned(co_await unary_on(**opened, again, options), response);
}

}  // namespace

transport::Connection* unary_connection(Channel& channel, const CallOptions& options) {
  return options.timeout ? nullptr : channel.quic_connection();
}

std::optional<Status> settle_unary(Result<transport::OpenedCall>& opened,
                                   UnaryResponse& response) {
  if (!opened.is_ok()) return open_failed(opened.status());
  if (opened->answer) return whole_outcome(std::move(*opened->answer), response);
  return std::nullopt;
}

asio::awaitable<Status> call_unary_opened(Channel& channel, const CallTarget& target,
                                          std::span<const uint8_t> frames,
                                          const CallOptions& options, UnaryResponse& response,
                                          transport::OpenedCall opened) {
  if (opened.stream) {
    auto stream = transport::make_quic_byte_stream(std::move(*opened.stream));
    co_return co_await unary_rest(std::move(stream), Status::ok(), response);
  }
  co_return co_await unary_after_credit(channel, target, frames, options, response);
}

asio::awaitable<Status> call_unary_framed(Channel& channel, const CallTarget& target,
                                          Result<std::vector<uint8_t>> request,
                                          const CallOptions& options, UnaryResponse& response) {
  if (!request.is_ok()) co_return request.status();
  const std::vector<uint8_t>& frames = *request;
  if (transport::Connection* conn = unary_connection(channel, options)) {
    // unary_opened_with written out, its answer read from what the open brought when it is
    // all there: no coroutine frames of the channel's between this call and the transport.
    auto call = co_await conn->try_open_bi_call(frames, transport::Connection::kAcceptFirstBytes,
                                                kUnaryCancelCode);
    if (auto settled = settle_unary(call, response)) co_return std::move(*settled);
    co_return co_await call_unary_opened(channel, target, frames, options, response,
                                         std::move(*call));
  }
  bool would_wait = false;
  if (!options.timeout) {
    auto got = co_await channel.open_call(frames);
    if (!got.is_ok()) co_return open_failed(got.status());
    if (got->answer) co_return whole_outcome(std::move(*got->answer), response);
    if (got->stream) {
      co_return co_await unary_rest(std::move(got->stream), std::move(got->sent), response);
    }
    would_wait = true;
  } else {
    std::unique_ptr<transport::ByteStream> stream;
    auto run = co_await transport::with_deadline(
        unary_opened_with(channel, frames, stream, would_wait, response), *options.timeout);
    if (run.deadline_exceeded) {
      if (stream) {
        (void)stream->reset(1);
        (void)stream->stop(1);
      }
      co_return deadline_status();
    }
    if (!would_wait) co_return std::move(run.value);
  }
  co_return co_await unary_after_credit(channel, target, frames, options, response);
}

asio::awaitable<Result<std::vector<uint8_t>>> call_unary(Channel& channel,
                                                       const CallTarget& target,
                                                       std::span<const uint8_t> request,
                                                       const CallOptions& options) {
  // Named, not temporaries in the co_await expression (GCC 12: docs/rpc.md).
  Result<std::vector<uint8_t>> framed = request_frames(target, "", request, options);
  UnaryResponse response;
  auto call = call_unary_framed(channel, target, std::move(framed), options, response);
  Status done = co_await std::move(call);
  if (!done.is_ok()) co_return done;
  co_return std::move(response).take_vector();
}

asio::awaitable<Result<ServerStreamCall>> ServerStreamCall::start(
    Channel& channel, const CallTarget& target, std::span<const uint8_t> request,
    const CallOptions& options) {
  auto frames = request_frames(target, new_call_id(), request, options);
  if (!frames.is_ok()) co_return frames.status();
  auto opened = co_await channel.open_stream_with(*frames);
  if (!opened.is_ok()) co_return open_failed(opened.status());
  if (!opened->stream) {
    // The peer's stream limit is reached: wait for credit, then send a header built now.
    auto stream = co_await channel.open_stream();
    if (!stream.is_ok()) co_return open_failed(stream.status());
    co_return co_await start(std::move(*stream), target, request, options);
  }
  // A refused write shows up again as the reader's error or trailer; read that instead.
  ServerStreamCall call;
  call.reader_ = std::make_unique<wire::FrameReader>(*opened->stream);
  call.stream_ = std::move(opened->stream);
  if (options.timeout) call.deadline_ = std::chrono::steady_clock::now() + *options.timeout;
  co_return call;
}

asio::awaitable<Result<ServerStreamCall>> ServerStreamCall::start(
    std::unique_ptr<transport::ByteStream> stream, const CallTarget& target,
    std::span<const uint8_t> request, const CallOptions& options) {
  ServerStreamCall call;
  auto frames = request_frames(target, new_call_id(), request, options);
  if (!frames.is_ok()) co_return frames.status();
  // A refused write shows up again as the reader's error or trailer; read that instead.
  (void)co_await stream->write_and_finish(*frames);
  call.reader_ = std::make_unique<wire::FrameReader>(*stream);
  call.stream_ = std::move(stream);
  if (options.timeout) call.deadline_ = std::chrono::steady_clock::now() + *options.timeout;
  co_return call;
}

ServerStreamCall::~ServerStreamCall() {
  if (stream_ && !done_) (void)stream_->stop(1);
}

void ServerStreamCall::cancel() {
  if (stream_ && !done_) {
    (void)stream_->stop(1);
    done_ = true;
  }
}

asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> ServerStreamCall::next() {
  if (!stream_) co_return Status(StatusCode::kFailedPrecondition, "no call");
  if (done_) co_return std::optional<std::vector<uint8_t>>();
  while (true) {
    Result<Received> got;
    if (deadline_) {
      auto left = *deadline_ - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        cancel();
        co_return deadline_status();
      }
      auto run = co_await transport::with_deadline(reader_->next(), left);
      if (run.deadline_exceeded) {
        cancel();
        co_return deadline_status();
      }
      got = interpret(std::move(run.value), *reader_);
    } else {
      got = interpret(co_await reader_->next(), *reader_);
    }
    if (!got.is_ok()) {
      cancel();
      co_return got.status();
    }
    if (got->ended) {
      done_ = true;
      co_return std::optional<std::vector<uint8_t>>();
    }
    if (got->payload) co_return std::move(got->payload);
  }
}

}  // namespace aster::rpc

namespace aster::rpc::detail {

Result<const contract::MethodDesc*> declared_method(const contract::ServiceDesc& desc,
                                                  std::string_view name,
                                                  contract::MethodPattern pattern) {
  const contract::MethodDesc* m = desc.find_method(name);
  if (m == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  desc.name() + " declares no method " + std::string(name));
  }
  if (m->pattern != pattern) {
    return Status(StatusCode::kInvalidArgument,
                  desc.name() + "." + m->name + " is declared with another pattern");
  }
  return m;
}

}  // namespace aster::rpc::detail

namespace aster::rpc {

// ---- client stream ----------------------------------------------------------------------------

asio::awaitable<Result<ClientStreamCall>> ClientStreamCall::start(
    std::unique_ptr<transport::ByteStream> stream, const CallTarget& target,
    const CallOptions& options) {
  ClientStreamCall call;
  // A refused write shows up again as the reader's error or trailer; read that instead.
  (void)co_await write_header(*stream, target, options);
  call.reader_ = std::make_unique<wire::FrameReader>(*stream);
  call.stream_ = std::move(stream);
  call.json_ = target.json;
  if (options.timeout) call.deadline_ = std::chrono::steady_clock::now() + *options.timeout;
  co_return call;
}

ClientStreamCall::~ClientStreamCall() {
  if (stream_ && !done_) {
    (void)stream_->reset(1);
    (void)stream_->stop(1);
  }
}

void ClientStreamCall::cancel() {
  if (!stream_ || done_) return;
  (void)stream_->reset(1);
  (void)stream_->stop(1);
  done_ = true;
  if (!outcome_) outcome_ = Status(StatusCode::kCancelled, "call cancelled");
}

asio::awaitable<void> ClientStreamCall::read_outcome() {
  auto response = co_await within(deadline_, read_single_response(*reader_, *stream_));
  if (!response) {
    cancel();
    outcome_ = deadline_status();
  } else {
    outcome_ = std::move(*response);
  }
  done_ = true;
}

asio::awaitable<Status> ClientStreamCall::write(std::span<const uint8_t> request) {
  if (!stream_) co_return Status(StatusCode::kFailedPrecondition, "no call");
  if (done_) {
    if (outcome_ && !outcome_->is_ok()) co_return outcome_->status();
    co_return Status::ok();  // answered already: the producer wants no more input
  }
  std::vector<uint8_t> frame;
  Status framed = wire::append_data_frame(frame, request, !json_);
  if (!framed.is_ok()) {
    cancel();
    outcome_ = framed;
    co_return framed;
  }
  auto sent = co_await within(deadline_, stream_->write(frame));
  if (!sent) {
    cancel();
    outcome_ = deadline_status();
    co_return deadline_status();
  }
  if (sent->is_ok()) co_return Status::ok();
  // The producer stopped reading or the stream broke: its trailer (if any) says why.
  co_await read_outcome();
  co_return outcome_->is_ok() ? Status::ok() : outcome_->status();
}

asio::awaitable<Result<std::vector<uint8_t>>> ClientStreamCall::finish() {
  if (!stream_) co_return Status(StatusCode::kFailedPrecondition, "no call");
  if (!done_) {
    auto fin = co_await within(deadline_, stream_->finish());
    if (!fin) {
      cancel();
      outcome_ = deadline_status();
    } else {
      co_await read_outcome();  // a refused FIN shows up as the reader's error or trailer
    }
  }
  if (!outcome_) co_return Status(StatusCode::kFailedPrecondition, "finish() already returned");
  Result<std::vector<uint8_t>> out = std::move(*outcome_);
  outcome_ = Status(StatusCode::kFailedPrecondition, "finish() already returned");
  co_return out;
}

// ---- bidi -------------------------------------------------------------------------------------

asio::awaitable<Result<BidiCall>> BidiCall::start(std::unique_ptr<transport::ByteStream> stream,
                                                   const CallTarget& target,
                                                   const CallOptions& options) {
  BidiCall call;
  (void)co_await write_header(*stream, target, options);
  call.reader_ = std::make_unique<wire::FrameReader>(*stream);
  call.stream_ = std::move(stream);
  call.json_ = target.json;
  if (options.timeout) call.deadline_ = std::chrono::steady_clock::now() + *options.timeout;
  co_return call;
}

BidiCall::~BidiCall() {
  // Anything short of "OK trailer read and input closed" leaves the producer a half-open
  // stream: abandon both directions.
  if (stream_ && !(done_ && final_.is_ok() && send_closed_)) {
    (void)stream_->reset(1);
    (void)stream_->stop(1);
  }
}

Status BidiCall::fail(Status status) {
  if (!done_ || final_.is_ok()) {
    final_ = status;
    (void)stream_->reset(1);
    (void)stream_->stop(1);
    done_ = true;
    send_closed_ = true;
  }
  return final_;
}

void BidiCall::cancel() {
  if (stream_ && !(done_ && !final_.is_ok())) (void)fail(Status(StatusCode::kCancelled, "call cancelled"));
}

asio::awaitable<Status> BidiCall::write(std::span<const uint8_t> request) {
  if (!stream_) co_return Status(StatusCode::kFailedPrecondition, "no call");
  if (!final_.is_ok()) co_return final_;
  if (send_closed_) co_return Status(StatusCode::kFailedPrecondition, "input already closed");
  std::vector<uint8_t> frame;
  Status framed = wire::append_data_frame(frame, request, !json_);
  if (!framed.is_ok()) co_return fail(framed);
  auto sent = co_await within(deadline_, stream_->write(frame));
  if (!sent) co_return fail(deadline_status());
  if (sent->is_ok()) co_return Status::ok();
  if (!final_.is_ok()) co_return final_;
  co_return Status(StatusCode::kUnavailable, "producer stopped reading: " + sent->message());
}

asio::awaitable<Status> BidiCall::close_send() {
  if (!stream_) co_return Status(StatusCode::kFailedPrecondition, "no call");
  if (!final_.is_ok()) co_return final_;
  if (send_closed_) co_return Status::ok();
  send_closed_ = true;
  auto fin = co_await within(deadline_, stream_->finish());
  if (!fin) co_return fail(deadline_status());
  if (fin->is_ok()) co_return Status::ok();
  if (!final_.is_ok()) co_return final_;
  co_return Status(StatusCode::kUnavailable, "producer stopped reading: " + fin->message());
}

asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> BidiCall::next() {
  if (!stream_) co_return Status(StatusCode::kFailedPrecondition, "no call");
  if (!final_.is_ok()) co_return final_;
  if (done_) co_return std::optional<std::vector<uint8_t>>();
  while (true) {
    // Frames already buffered need no read, hence no deadline timer.
    std::optional<Result<std::optional<wire::Frame>>> frame = reader_->buffered();
    if ((*frame).is_ok() && !(*frame)->has_value()) {
      frame = co_await within(deadline_, reader_->next());
      if (!frame) co_return fail(deadline_status());
    }
    auto got = interpret(std::move(*frame), *reader_);
    if (!got.is_ok()) co_return fail(got.status());
    if (got->ended) {
      done_ = true;
      co_return std::optional<std::vector<uint8_t>>();
    }
    if (got->payload) co_return std::move(got->payload);
  }
}

}  // namespace aster::rpc
