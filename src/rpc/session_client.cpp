#include "aster/rpc/session_client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "aster/wire/compression.hpp"
#include "aster/wire/messages.hpp"

namespace aster::rpc {

namespace flags = wire::flags;

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Trailers after which a 0.1.2 producer (and ours) stops serving the session stream: the
// stream-level rejections of the session's HEADER (server.py `_handle_stream`) and the
// session-ending errors of session.py `_session_loop`. A 0.1.2 producer then neither answers
// nor closes the stream, so the session must not wait for more.
bool ends_session(const Status& st) {
  const std::string& m = st.message();
  switch (st.code()) {
    case StatusCode::kUnimplemented:
      return starts_with(m, "Method not found: ");
    case StatusCode::kInternal:
      return starts_with(m, "Invalid CallHeader") || starts_with(m, "Handler missing: ") ||
             starts_with(m, "First frame must have HEADER flag") ||
             starts_with(m, "Invalid StreamHeader") ||
             starts_with(m, "Session service class not found");
    case StatusCode::kFailedPrecondition:
      return m == "Expected CALL frame" || m.find("' is shared: ") != std::string::npos ||
             m.find("' is session-scoped: ") != std::string::npos;
    case StatusCode::kResourceExhausted:
      return starts_with(m, "metadata ") && m.find(" exceeds limit of ") != std::string::npos;
    case StatusCode::kNotFound:
      return starts_with(m, "Service '") && m.find("' v") != std::string::npos;
    case StatusCode::kInvalidArgument:
      return m == "Missing service name" || starts_with(m, "Unsupported serialization mode: ");
    default:
      return false;
  }
}

// The next item of a raw session call that replies with a stream (server stream, bidi), decoded
// as `type`; `done` is set once the call has ended (trailer, error or a bad item).
asio::awaitable<Result<std::optional<Value>>> next_session_value(SessionStream& s,
                                                                 const codec::TypeDesc& type,
                                                                 bool& done) {
  if (done) co_return std::optional<Value>();
  auto bytes = co_await s.next_item();
  if (!bytes.is_ok() || !bytes->has_value()) done = true;
  if (!bytes.is_ok()) co_return bytes.status();
  if (!bytes->has_value()) co_return std::optional<Value>();
  auto value = decode_value_payload(**bytes, type, s.json(), s.value_registry());
  if (!value.is_ok()) {
    done = true;
    s.abandon_call();
    co_return Status(StatusCode::kInternal, value.status().message());
  }
  co_return std::optional<Value>(std::move(*value));
}

// CANCEL, then drain what the producer still sends until the call's trailer.
asio::awaitable<void> cancel_session_call(SessionStream& s, bool& done) {
  if (done) co_return;
  co_await s.cancel();
  while (true) {
    auto r = co_await s.next_item();
    if (!r.is_ok() || !r->has_value()) break;
  }
  done = true;
}

}  // namespace

asio::awaitable<void> AsyncMutex::lock() {
  if (!locked_) {
    locked_ = true;
    co_return;
  }
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_at(std::chrono::steady_clock::time_point::max());
  waiters_.push_back(waiter);
  std::error_code ec;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!waiter->granted) {
    // Woken by cancellation of the waiting coroutine, not by unlock(): leave the queue.
    std::erase(waiters_, waiter);
    throw std::system_error(asio::error::operation_aborted);
  }
}

void AsyncMutex::unlock() {
  if (waiters_.empty()) {
    locked_ = false;
    return;
  }
  auto next = waiters_.front();  // the lock passes straight to the first waiter
  waiters_.pop_front();
  next->granted = true;
  next->timer.cancel();
}

SessionStream::SessionStream(asio::any_io_executor executor,
                             std::unique_ptr<transport::ByteStream> stream,
                             std::string session_id, bool json)
    : executor_(std::move(executor)),
      stream_(std::move(stream)),
      reader_(*stream_),
      session_id_(std::move(session_id)),
      json_(json) {}

SessionStream::~SessionStream() = default;

asio::awaitable<Result<std::shared_ptr<SessionStream>>> SessionStream::open(
    std::unique_ptr<transport::ByteStream> stream, std::string service, int64_t version,
    bool json) {
  // 0.1.2 `create_session`: method "", callId = the session id, no deadline or metadata.
  CallTarget target{std::move(service), version, "", json};
  const std::string id = new_call_id();
  auto header = encode_call_header(target, id, CallOptions{});
  ASTER_CO_ASSIGN_OR_RETURN(auto frame, wire::encode_frame(flags::kHeader, header));
  ASTER_CO_RETURN_IF_ERROR(co_await stream->write(frame));
  co_return std::make_shared<SessionStream>(co_await asio::this_coro::executor, std::move(stream),
                                           id, json);
}

asio::awaitable<Status> SessionStream::begin_call(
    const std::string& method, std::optional<std::span<const uint8_t>> request,
    const CallOptions& options) {
  co_await call_lock_.lock();
  if (closed_) {
    call_lock_.unlock();
    co_return Status(StatusCode::kFailedPrecondition, "session closed");
  }
  if (!broken_.is_ok()) {
    call_lock_.unlock();
    co_return broken_;
  }
  in_call_ = true;
  cancel_sent_ = false;
  deadline_hit_ = false;
  const uint64_t seq = ++call_seq_;

  wire::CallHeader h;
  h.method = method;
  h.call_id = new_call_id();
  if (options.timeout) {
    h.deadline_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              (std::chrono::system_clock::now() + *options.timeout)
                                  .time_since_epoch())
                              .count();
  }
  for (const auto& [k, v] : options.metadata) {
    h.metadata_keys.push_back(k);
    h.metadata_values.push_back(v);
  }
  std::vector<uint8_t> out;
  Status framed = Status::ok();
  auto encoded = wire::encode_message(h, json_);
  framed = encoded.is_ok() ? wire::append_frame(out, flags::kCall, *encoded) : encoded.status();
  if (framed.is_ok() && request) framed = wire::append_data_frame(out, *request, !json_);
  if (!framed.is_ok()) {
    end_call();
    co_return Status(StatusCode::kInvalidArgument, framed.message());
  }
  co_await write_lock_.lock();
  Status sent = co_await stream_->write(out);
  write_lock_.unlock();
  if (!sent.is_ok()) {
    broken_ = Status(StatusCode::kUnavailable, "session stream failed: " + sent.message());
    end_call();
    co_return broken_;
  }
  if (options.timeout) {
    auto ex = executor_;
    deadline_ = std::make_unique<asio::steady_timer>(ex, *options.timeout);
    std::weak_ptr<SessionStream> weak = weak_from_this();
    deadline_->async_wait([weak, seq, ex](std::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->call_seq_ != seq || !self->in_call_) return;
      self->deadline_hit_ = true;
      asio::co_spawn(
          ex, [](std::shared_ptr<SessionStream> s) -> asio::awaitable<void> {
            co_await s->send_cancel();
          }(self),
          asio::detached);
    });
  }
  co_return Status::ok();
}

void SessionStream::end_call() {
  if (deadline_) {
    deadline_->cancel();
    deadline_.reset();
  }
  in_call_ = false;
  input_open_ = false;
  bidi_ = false;
  cancel_sent_ = false;
  deadline_hit_ = false;
  ++call_seq_;
  call_lock_.unlock();
}

asio::awaitable<void> SessionStream::send_cancel() {
  if (!in_call_ || cancel_sent_) co_return;
  cancel_sent_ = true;
  // The 5 bytes of an empty CANCEL frame (0100000020).
  static constexpr uint8_t kCancelFrame[] = {0x01, 0x00, 0x00, 0x00, flags::kCancel};
  co_await write_lock_.lock();
  Status sent = co_await stream_->write(kCancelFrame);
  write_lock_.unlock();
  if (!sent.is_ok() && broken_.is_ok()) {
    broken_ = Status(StatusCode::kUnavailable, "session stream failed: " + sent.message());
  }
}

asio::awaitable<void> SessionStream::cancel() { co_await send_cancel(); }

asio::awaitable<SessionStream::Event> SessionStream::next_event() {
  while (true) {
    auto frame = co_await reader_.next();
    if (!frame.is_ok() || !frame->has_value()) {
      // 0.1.2's SessionStub: "Session stream ended" (UNAVAILABLE).
      broken_ = Status(StatusCode::kUnavailable,
                       frame.is_ok() ? std::string("Session stream ended")
                                     : "session stream failed: " + frame.status().message());
      co_return Event{std::nullopt, broken_};
    }
    wire::Frame f = std::move(**frame);
    if (f.has(flags::kTrailer)) {
      auto rpc_status = wire::decode_rpc_status(f.payload);
      Status st = rpc_status.is_ok()
                      ? wire::to_status(*rpc_status)
                      : Status(StatusCode::kInternal,
                               "undecodable trailer: " + rpc_status.status().message());
      if (cancel_sent_) {
        // Whatever ended the call before the producer saw our CANCEL is dropped: the
        // CANCELLED trailer that answers the CANCEL ends it (spec SS §5.5). Except in bidi:
        // a 0.1.2 producer ends a cancelled bidi call with OK when its handler yields no
        // more (session.py `_dispatch_bidi_stream`), so any trailer ends it.
        if (st.code() != StatusCode::kCancelled && !bidi_) continue;
        co_return Event{std::nullopt,
                        deadline_hit_ ? Status(StatusCode::kDeadlineExceeded, "deadline exceeded")
                                      : Status(StatusCode::kCancelled, "cancelled")};
      }
      if (ends_session(st)) {
        broken_ = Status(StatusCode::kUnavailable, "session ended by the producer: " + st.message());
      }
      co_return Event{std::nullopt, st};
    }
    if (cancel_sent_) continue;
    if (f.has(flags::kHeader) || f.has(flags::kCall) || f.has(flags::kCancel) ||
        f.has(flags::kRowSchema)) {
      continue;  // nothing for a consumer (0.1.2 clients skip ROW_SCHEMA)
    }
    auto payload = wire::data_payload(std::move(f));
    if (!payload.is_ok()) {
      co_return Event{std::nullopt, Status(StatusCode::kInternal, payload.status().message())};
    }
    co_return Event{std::move(*payload), Status::ok()};
  }
}

asio::awaitable<Result<std::vector<uint8_t>>> SessionStream::unary(
    const std::string& method, std::span<const uint8_t> request, const CallOptions& options) {
  auto self = shared_from_this();  // a cancel may be spawned meanwhile
  ASTER_CO_RETURN_IF_ERROR(co_await begin_call(method, request, options));
  Event ev = co_await next_event();
  end_call();
  if (ev.data) co_return std::move(*ev.data);
  if (ev.end.is_ok()) {
    co_return Status(StatusCode::kInternal, "session unary call ended without a response");
  }
  co_return ev.end;
}

asio::awaitable<Status> SessionStream::start_server_stream(const std::string& method,
                                                           std::span<const uint8_t> request,
                                                           const CallOptions& options) {
  co_return co_await begin_call(method, request, options);
}

asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> SessionStream::next_item() {
  if (!in_call_) co_return Status(StatusCode::kFailedPrecondition, "no call in flight");
  auto self = shared_from_this();
  Event ev = co_await next_event();
  if (ev.data) co_return std::optional<std::vector<uint8_t>>(std::move(*ev.data));
  if (ev.end.code() == StatusCode::kInternal && broken_.is_ok() && !cancel_sent_) {
    // An item we cannot read: cancel the rest of the call so the session stays in step.
    co_await send_cancel();
    while (true) {
      Event rest = co_await next_event();
      if (!rest.data) break;
    }
  }
  end_call();
  if (ev.end.is_ok()) co_return std::optional<std::vector<uint8_t>>();
  co_return ev.end;
}

asio::awaitable<Result<uint64_t>> SessionStream::start_input_call(const std::string& method,
                                                                 const CallOptions& options,
                                                                 bool bidi) {
  auto self = shared_from_this();
  ASTER_CO_RETURN_IF_ERROR(co_await begin_call(method, std::nullopt, options));
  input_open_ = true;
  bidi_ = bidi;
  co_return call_seq_;
}

Status SessionStream::input_state(uint64_t call) const {
  if (!in_call_ || call != call_seq_) {
    return Status(StatusCode::kFailedPrecondition, "the call has ended");
  }
  if (cancel_sent_) {
    return deadline_hit_ ? Status(StatusCode::kDeadlineExceeded, "deadline exceeded")
                         : Status(StatusCode::kCancelled, "cancelled");
  }
  if (!broken_.is_ok()) return broken_;
  if (!input_open_) return Status(StatusCode::kFailedPrecondition, "input already ended");
  return Status::ok();
}

asio::awaitable<Status> SessionStream::write_item(uint64_t call,
                                                  std::span<const uint8_t> request) {
  ASTER_CO_RETURN_IF_ERROR(input_state(call));
  std::vector<uint8_t> out;
  Status framed = wire::append_data_frame(out, request, !json_);
  if (!framed.is_ok()) co_return Status(StatusCode::kInvalidArgument, framed.message());
  auto self = shared_from_this();
  co_await write_lock_.lock();
  Status sent = co_await stream_->write(out);
  write_lock_.unlock();
  if (!sent.is_ok()) {
    if (broken_.is_ok()) {
      broken_ = Status(StatusCode::kUnavailable, "session stream failed: " + sent.message());
    }
    co_return broken_;
  }
  co_return Status::ok();
}

asio::awaitable<Status> SessionStream::end_input(uint64_t call) {
  ASTER_CO_RETURN_IF_ERROR(input_state(call));
  input_open_ = false;
  // End of input inside a session is an OK trailer in the session's codec (0.1.2
  // `_call_client_stream`), never FIN.
  auto ok = wire::encode_message(wire::RpcStatus{}, json_);
  if (!ok.is_ok()) co_return ok.status();
  std::vector<uint8_t> out;
  ASTER_CO_RETURN_IF_ERROR(wire::append_frame(out, flags::kTrailer, *ok));
  auto self = shared_from_this();
  co_await write_lock_.lock();
  Status sent = co_await stream_->write(out);
  write_lock_.unlock();
  if (!sent.is_ok() && broken_.is_ok()) {
    broken_ = Status(StatusCode::kUnavailable, "session stream failed: " + sent.message());
  }
  co_return sent.is_ok() ? Status::ok() : broken_;
}

asio::awaitable<Result<std::vector<uint8_t>>> SessionStream::finish_input_call(uint64_t call) {
  auto self = shared_from_this();
  if (!in_call_ || call != call_seq_) {
    co_return Status(StatusCode::kFailedPrecondition, "the call has ended");
  }
  if (input_open_ && !cancel_sent_ && broken_.is_ok()) (void)co_await end_input(call);
  Event ev = co_await next_event();
  end_call();
  if (ev.data) co_return std::move(*ev.data);
  if (ev.end.is_ok()) {
    co_return Status(StatusCode::kInternal, "session client-stream call ended without a response");
  }
  co_return ev.end;
}

void SessionStream::abandon_call() {
  if (!in_call_) return;
  // Runs on the executor the stream's operations use; the session stays alive meanwhile.
  asio::co_spawn(
      executor_,
      [](std::shared_ptr<SessionStream> s) -> asio::awaitable<void> {
        co_await s->send_cancel();
        while (s->in_call_) {
          Event ev = co_await s->next_event();
          if (!ev.data) s->end_call();
        }
      }(shared_from_this()),
      asio::detached);
}

asio::awaitable<Status> SessionStream::close() {
  co_await call_lock_.lock();
  if (closed_) {
    call_lock_.unlock();
    co_return Status::ok();
  }
  closed_ = true;
  Status st = co_await stream_->finish();
  call_lock_.unlock();
  co_return st;
}

// ---- RawSession ---------------------------------------------------------------------------

asio::awaitable<Result<RawSession>> RawSession::open(Channel& channel,
                                                     const contract::ServiceDesc& desc,
                                                     int64_t version, bool json,
                                                     const codec::TypeRegistry* registry) {
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel.open_stream());
  ASTER_CO_ASSIGN_OR_RETURN(
      auto session, co_await SessionStream::open(std::move(stream), desc.name(), version, json));
  session->set_value_registry(registry);
  co_return RawSession(std::move(session), desc);
}

asio::awaitable<Result<Value>> RawSession::unary(std::string method, Value request,
                                                 CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kUnary));
  auto payload = encode_value_payload(request, *m->request, s_->json());
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await s_->unary(method, *payload, options));
  auto value = decode_value_payload(bytes, *m->response, s_->json(), s_->value_registry());
  if (!value.is_ok()) co_return Status(StatusCode::kInternal, value.status().message());
  co_return std::move(*value);
}

asio::awaitable<Result<RawSessionServerStream>> RawSession::server_stream(std::string method,
                                                                          Value request,
                                                                          CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kServerStream));
  auto payload = encode_value_payload(request, *m->request, s_->json());
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  ASTER_CO_RETURN_IF_ERROR(co_await s_->start_server_stream(method, *payload, options));
  co_return RawSessionServerStream(s_, m->response);
}

asio::awaitable<Result<RawSessionClientStream>> RawSession::client_stream(std::string method,
                                                                          CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kClientStream));
  ASTER_CO_ASSIGN_OR_RETURN(uint64_t call,
                            co_await s_->start_input_call(method, options, /*bidi=*/false));
  co_return RawSessionClientStream(s_, call, m->request, m->response);
}

asio::awaitable<Result<RawSessionBidi>> RawSession::bidi(std::string method, CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kBidiStream));
  ASTER_CO_ASSIGN_OR_RETURN(uint64_t call,
                            co_await s_->start_input_call(method, options, /*bidi=*/true));
  co_return RawSessionBidi(s_, call, m->request, m->response);
}

asio::awaitable<Status> RawSessionClientStream::write(const Value& request) {
  auto payload = encode_value_payload(request, *request_, s_->json());
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  co_return co_await s_->write_item(call_, *payload);
}

asio::awaitable<Result<Value>> RawSessionClientStream::finish() {
  done_ = true;
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await s_->finish_input_call(call_));
  auto value = decode_value_payload(bytes, *response_, s_->json(), s_->value_registry());
  if (!value.is_ok()) co_return Status(StatusCode::kInternal, value.status().message());
  co_return std::move(*value);
}

asio::awaitable<void> RawSessionClientStream::cancel() {
  if (done_) co_return;
  done_ = true;
  co_await s_->cancel();
  (void)co_await s_->finish_input_call(call_);
}

asio::awaitable<Status> RawSessionBidi::write(const Value& request) {
  auto payload = encode_value_payload(request, *request_, s_->json());
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  co_return co_await s_->write_item(call_, *payload);
}

asio::awaitable<Result<std::optional<Value>>> RawSessionBidi::next() {
  co_return co_await next_session_value(*s_, *response_, done_);
}

asio::awaitable<void> RawSessionBidi::cancel() {
  co_await cancel_session_call(*s_, done_);
}

asio::awaitable<Result<std::optional<Value>>> RawSessionServerStream::next() {
  co_return co_await next_session_value(*s_, *type_, done_);
}

asio::awaitable<void> RawSessionServerStream::cancel() {
  co_await cancel_session_call(*s_, done_);
}

}  // namespace aster::rpc
