// The consumer side of a session-scoped service: one bidi stream carries a sequence of calls
// to one instance on the producer, as 0.1.2's `create_session` / `SessionStub`
// (aster-rpc@0972ac9:bindings/python/aster/session.py):
//
//   auto agent = co_await client.session<AgentSession>();   // HEADER(method "", callId = id)
//   RegisterRequest req{"edge-1"};
//   auto ack = co_await agent.register_agent(std::move(req));   // CALL + request → response
//   auto ticks = co_await agent.watch(std::move(w));            // server stream in the session
//   while (auto t = co_await ticks.next()) { ... }
//   auto up = co_await agent.ingest();                          // client stream: write()…,
//   co_await up.write(m); Ack a = co_await up.finish();         //   then TRAILER(OK) → answer
//   auto run = co_await agent.run_command();                    // bidi: write(), next(),
//   co_await run.write(c); co_await run.done_writing();         //   done_writing()
//   co_await agent.close();                                     // FIN: the producer drops it
//
// where AgentSession declares `class Session : public aster::rpc::SessionClient` with one
// member per method (like ServiceClient, service_client.hpp). Calls on one session run one
// at a time: a call waits until the previous one (a server stream: until its end) finished.
// cancel() sends CANCEL for the call in flight; the call ends with RpcError(CANCELLED) once
// the producer acknowledged it. A deadline (CallOptions::timeout) travels in the CallHeader
// and is enforced here by the same in-band cancel (the call then fails with
// DEADLINE_EXCEEDED). Errors are RpcError with the producer's code; a session whose stream
// ended fails every later call with UNAVAILABLE.
//
// RawSession is the same by method name with aster::Value payloads (raw_transport.hpp).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/codec/value.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/rpc/call.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/rpc/payload.hpp"
#include "aster/rpc/service_client.hpp"
#include "aster/status.hpp"
#include "aster/transport/byte_stream.hpp"
#include "aster/wire/frame_io.hpp"

namespace aster::rpc {

// A FIFO lock for coroutines on one executor (0.1.2 serialises session calls with an
// asyncio.Lock).
class AsyncMutex {
 public:
  asio::awaitable<void> lock();
  void unlock();

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;
  };
  bool locked_ = false;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

// One open session stream, byte level (payloads in the session's mode).
class SessionStream : public std::enable_shared_from_this<SessionStream> {
 public:
  // Writes the session's HEADER: method "", callId = a new UUID4, no deadline, no metadata.
  static asio::awaitable<Result<std::shared_ptr<SessionStream>>> open(
      std::unique_ptr<transport::ByteStream> stream, std::string service, int64_t version,
      bool json);

  SessionStream(asio::any_io_executor executor, std::unique_ptr<transport::ByteStream> stream,
                std::string session_id, bool json);
  ~SessionStream();

  const std::string& session_id() const { return session_id_; }
  bool json() const { return json_; }
  // Where raw calls look up the structs of a kAny reply (decode_value_payload); not owned.
  const codec::TypeRegistry* value_registry() const { return value_registry_; }
  void set_value_registry(const codec::TypeRegistry* registry) { value_registry_ = registry; }

  // CALL + request, then the response frame (a trailer instead is the call's status).
  asio::awaitable<Result<std::vector<uint8_t>>> unary(const std::string& method,
                                                      std::span<const uint8_t> request,
                                                      const CallOptions& options);
  // CALL + request; the call then holds the session until next_item() returned its end, or it
  // was cancelled or abandoned.
  asio::awaitable<Status> start_server_stream(const std::string& method,
                                              std::span<const uint8_t> request,
                                              const CallOptions& options);
  // CALL alone: a client-stream or bidi call, whose requests follow with write_item() and
  // end with end_input() (TRAILER(OK); the consumer's FIN would close the session). Returns
  // the call's number for write_item / end_input.
  asio::awaitable<Result<uint64_t>> start_input_call(const std::string& method,
                                                     const CallOptions& options, bool bidi);
  // One request of call `call` (a data frame). Fails once the call ended or was cancelled.
  asio::awaitable<Status> write_item(uint64_t call, std::span<const uint8_t> request);
  // The end of call `call`'s input (TRAILER(OK)), once.
  asio::awaitable<Status> end_input(uint64_t call);
  // A client stream's answer: ends the input if still open, then the response frame.
  asio::awaitable<Result<std::vector<uint8_t>>> finish_input_call(uint64_t call);
  // The next item of the server stream / bidi call in flight; nullopt after its OK trailer.
  asio::awaitable<Result<std::optional<std::vector<uint8_t>>>> next_item();
  // Ends the streaming call in the background (cancel, then drain to the CANCELLED trailer);
  // the next call waits for that.
  void abandon_call();

  // Sends CANCEL for the call in flight (no-op when idle or already sent).
  asio::awaitable<void> cancel();
  // FIN after the calls so far: the producer ends the session. Later calls fail.
  asio::awaitable<Status> close();

 private:
  struct Event {
    std::optional<std::vector<uint8_t>> data;  // a response payload
    Status end;                                // the call's end (when !data)
  };
  // CALL (+ the request frame when `request`), under the call lock held until end_call().
  asio::awaitable<Status> begin_call(const std::string& method,
                                     std::optional<std::span<const uint8_t>> request,
                                     const CallOptions& options);
  Status input_state(uint64_t call) const;
  asio::awaitable<Event> next_event();
  void end_call();
  asio::awaitable<void> send_cancel();

  asio::any_io_executor executor_;
  std::unique_ptr<transport::ByteStream> stream_;
  wire::FrameReader reader_;
  std::string session_id_;
  bool json_;
  const codec::TypeRegistry* value_registry_ = nullptr;
  AsyncMutex call_lock_;   // one call at a time
  AsyncMutex write_lock_;  // CANCEL may be written while a call writes
  bool in_call_ = false;
  bool input_open_ = false;  // a client-stream / bidi call has not sent its end of input
  bool bidi_ = false;        // the call in flight is a bidi call
  bool cancel_sent_ = false;
  bool deadline_hit_ = false;
  bool closed_ = false;
  uint64_t call_seq_ = 0;
  Status broken_;  // once the stream failed, every call fails with this
  std::unique_ptr<asio::steady_timer> deadline_;
};

// A server stream inside a session: `while (auto item = co_await s.next()) …`.
template <typename Resp>
class SessionServerStream {
 public:
  explicit SessionServerStream(std::shared_ptr<SessionStream> s) : s_(std::move(s)) {}
  SessionServerStream(SessionServerStream&& o) noexcept : s_(std::move(o.s_)), done_(o.done_) {
    o.done_ = true;
  }
  SessionServerStream& operator=(SessionServerStream&&) = delete;
  ~SessionServerStream() {
    if (s_ && !done_) s_->abandon_call();
  }

  // The next response; nullopt after the producer's OK trailer. Throws RpcError.
  asio::awaitable<std::optional<Resp>> next() {
    if (done_) co_return std::nullopt;
    auto bytes = co_await s_->next_item();
    if (!bytes.is_ok()) {
      done_ = true;
      throw RpcError(bytes.status());
    }
    if (!bytes->has_value()) {
      done_ = true;
      co_return std::nullopt;
    }
    auto value = decode_payload<Resp>(**bytes, s_->json());
    if (!value.is_ok()) {
      done_ = true;
      s_->abandon_call();
      throw RpcError(StatusCode::kInternal, value.status().message());
    }
    co_return std::move(*value);
  }
  // Cancels the call (CANCEL) and waits for the producer's CANCELLED trailer.
  asio::awaitable<void> cancel() {
    if (done_) co_return;
    co_await s_->cancel();
    while (true) {
      auto r = co_await s_->next_item();
      if (!r.is_ok() || !r->has_value()) break;
    }
    done_ = true;
  }

 private:
  std::shared_ptr<SessionStream> s_;
  bool done_ = false;
};

// A client stream inside a session: `co_await w.write(req); …; Resp r = co_await w.finish();`.
template <typename Req, typename Resp>
class SessionClientStreamWriter {
 public:
  SessionClientStreamWriter(std::shared_ptr<SessionStream> s, uint64_t call)
      : s_(std::move(s)), call_(call) {}
  SessionClientStreamWriter(SessionClientStreamWriter&& o) noexcept
      : s_(std::move(o.s_)), call_(o.call_), done_(o.done_) {
    o.done_ = true;
  }
  SessionClientStreamWriter& operator=(SessionClientStreamWriter&&) = delete;
  ~SessionClientStreamWriter() {
    if (s_ && !done_) s_->abandon_call();
  }
  // Sends one request. Throws RpcError once the call was cancelled or ended.
  asio::awaitable<void> write(const Req& request) {
    auto bytes = encode_payload(request, s_->json());
    if (!bytes.is_ok()) throw RpcError(StatusCode::kInvalidArgument, bytes.status().message());
    Status st = co_await s_->write_item(call_, *bytes);
    if (!st.is_ok()) throw RpcError(st);
  }
  // Ends the input (TRAILER(OK)) and returns the producer's response. Throws RpcError.
  asio::awaitable<Resp> finish() {
    done_ = true;
    auto bytes = co_await s_->finish_input_call(call_);
    if (!bytes.is_ok()) throw RpcError(bytes.status());
    auto value = decode_payload<Resp>(*bytes, s_->json());
    if (!value.is_ok()) throw RpcError(StatusCode::kInternal, value.status().message());
    co_return std::move(*value);
  }
  // Cancels the call (CANCEL) and waits for the producer's CANCELLED.
  asio::awaitable<void> cancel() {
    if (done_) co_return;
    done_ = true;
    co_await s_->cancel();
    (void)co_await s_->finish_input_call(call_);
  }

 private:
  std::shared_ptr<SessionStream> s_;
  uint64_t call_;
  bool done_ = false;
};

// A bidi call inside a session: write() and next() may be awaited concurrently;
// done_writing() ends the input; the producer may end the call first.
template <typename Req, typename Resp>
class SessionBidiStream {
 public:
  SessionBidiStream(std::shared_ptr<SessionStream> s, uint64_t call)
      : s_(std::move(s)), call_(call) {}
  SessionBidiStream(SessionBidiStream&& o) noexcept
      : s_(std::move(o.s_)), call_(o.call_), done_(o.done_) {
    o.done_ = true;
  }
  SessionBidiStream& operator=(SessionBidiStream&&) = delete;
  ~SessionBidiStream() {
    if (s_ && !done_) s_->abandon_call();
  }
  // Sends one request. Throws RpcError once the call was cancelled or ended.
  asio::awaitable<void> write(const Req& request) {
    auto bytes = encode_payload(request, s_->json());
    if (!bytes.is_ok()) throw RpcError(StatusCode::kInvalidArgument, bytes.status().message());
    Status st = co_await s_->write_item(call_, *bytes);
    if (!st.is_ok()) throw RpcError(st);
  }
  // Ends the input (TRAILER(OK)); responses keep coming. Throws RpcError.
  asio::awaitable<void> done_writing() {
    Status st = co_await s_->end_input(call_);
    if (!st.is_ok()) throw RpcError(st);
  }
  // The next response; nullopt after the producer's OK trailer. Throws RpcError.
  asio::awaitable<std::optional<Resp>> next() {
    if (done_) co_return std::nullopt;
    auto bytes = co_await s_->next_item();
    if (!bytes.is_ok()) {
      done_ = true;
      throw RpcError(bytes.status());
    }
    if (!bytes->has_value()) {
      done_ = true;
      co_return std::nullopt;
    }
    auto value = decode_payload<Resp>(**bytes, s_->json());
    if (!value.is_ok()) {
      done_ = true;
      s_->abandon_call();
      throw RpcError(StatusCode::kInternal, value.status().message());
    }
    co_return std::move(*value);
  }
  // Cancels the call (CANCEL) and waits for the producer's CANCELLED.
  asio::awaitable<void> cancel() {
    if (done_) co_return;
    co_await s_->cancel();
    while (true) {
      auto r = co_await s_->next_item();
      if (!r.is_ok() || !r->has_value()) break;
    }
    done_ = true;
  }

 private:
  std::shared_ptr<SessionStream> s_;
  uint64_t call_;
  bool done_ = false;
};

// Base of typed session stubs: `class Session : public aster::rpc::SessionClient`.
class SessionClient {
 public:
  SessionClient(std::shared_ptr<SessionStream> stream, const contract::ServiceDesc& desc)
      : s_(std::move(stream)), desc_(&desc) {}

  const contract::ServiceDesc& descriptor() const { return *desc_; }
  const std::string& session_id() const { return s_->session_id(); }
  // Cancels the call in flight, if any (that call then throws RpcError CANCELLED).
  asio::awaitable<void> cancel() { return s_->cancel(); }
  // Closes the session (FIN); the producer ends the instance.
  asio::awaitable<void> close() {
    Status st = co_await s_->close();
    if (!st.is_ok()) throw RpcError(st);
  }

 protected:
  template <typename Resp, typename Req>
  asio::awaitable<Resp> unary(std::string method, Req request, CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kUnary);
    auto payload = encode_payload(request, s_->json());
    if (!payload.is_ok()) throw RpcError(StatusCode::kInvalidArgument, payload.status().message());
    auto bytes = co_await s_->unary(method, *payload, options);
    if (!bytes.is_ok()) throw RpcError(bytes.status());
    auto response = decode_payload<Resp>(*bytes, s_->json());
    if (!response.is_ok()) throw RpcError(StatusCode::kInternal, response.status().message());
    co_return std::move(*response);
  }

  template <typename Resp, typename Req>
  asio::awaitable<SessionServerStream<Resp>> server_stream(std::string method, Req request,
                                                           CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kServerStream);
    auto payload = encode_payload(request, s_->json());
    if (!payload.is_ok()) throw RpcError(StatusCode::kInvalidArgument, payload.status().message());
    Status st = co_await s_->start_server_stream(method, *payload, options);
    if (!st.is_ok()) throw RpcError(st);
    co_return SessionServerStream<Resp>(s_);
  }

  template <typename Resp, typename Req>
  asio::awaitable<SessionClientStreamWriter<Req, Resp>> client_stream(std::string method,
                                                                       CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kClientStream);
    auto call = co_await s_->start_input_call(method, options, /*bidi=*/false);
    if (!call.is_ok()) throw RpcError(call.status());
    co_return SessionClientStreamWriter<Req, Resp>(s_, *call);
  }

  template <typename Resp, typename Req>
  asio::awaitable<SessionBidiStream<Req, Resp>> bidi(std::string method, CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kBidiStream);
    auto call = co_await s_->start_input_call(method, options, /*bidi=*/true);
    if (!call.is_ok()) throw RpcError(call.status());
    co_return SessionBidiStream<Req, Resp>(s_, *call);
  }

 private:
  template <typename Req, typename Resp>
  void checked(const std::string& method, contract::MethodPattern p) const {
    auto m = detail::declared_method(*desc_, method, p);
    if (!m.is_ok()) throw RpcError(m.status());
    if (!detail::same_type((*m)->request, codec::type_desc<Req>()) ||
        !detail::same_type((*m)->response, codec::type_desc<Resp>())) {
      throw RpcError(StatusCode::kInvalidArgument,
                     desc_->name() + "." + method + ": types differ from the declaration");
    }
  }

  std::shared_ptr<SessionStream> s_;
  const contract::ServiceDesc* desc_;
};

// A server stream of a RawSession.
class RawSessionServerStream {
 public:
  RawSessionServerStream(std::shared_ptr<SessionStream> s, codec::TypeRef type)
      : s_(std::move(s)), type_(std::move(type)) {}
  RawSessionServerStream(RawSessionServerStream&& o) noexcept
      : s_(std::move(o.s_)), type_(std::move(o.type_)), done_(o.done_) {
    o.done_ = true;
  }
  RawSessionServerStream& operator=(RawSessionServerStream&&) = delete;
  ~RawSessionServerStream() {
    if (s_ && !done_) s_->abandon_call();
  }
  asio::awaitable<Result<std::optional<Value>>> next();
  asio::awaitable<void> cancel();

 private:
  std::shared_ptr<SessionStream> s_;
  codec::TypeRef type_;
  bool done_ = false;
};

// A client stream of a RawSession: write()…, then finish() → the response.
class RawSessionClientStream {
 public:
  RawSessionClientStream(std::shared_ptr<SessionStream> s, uint64_t call, codec::TypeRef request,
                         codec::TypeRef response)
      : s_(std::move(s)), call_(call), request_(std::move(request)), response_(std::move(response)) {}
  RawSessionClientStream(RawSessionClientStream&& o) noexcept
      : s_(std::move(o.s_)), call_(o.call_), request_(std::move(o.request_)),
        response_(std::move(o.response_)), done_(o.done_) {
    o.done_ = true;
  }
  RawSessionClientStream& operator=(RawSessionClientStream&&) = delete;
  ~RawSessionClientStream() {
    if (s_ && !done_) s_->abandon_call();
  }
  asio::awaitable<Status> write(const Value& request);
  asio::awaitable<Result<Value>> finish();
  asio::awaitable<void> cancel();

 private:
  std::shared_ptr<SessionStream> s_;
  uint64_t call_;
  codec::TypeRef request_, response_;
  bool done_ = false;
};

// A bidi call of a RawSession: write(), done_writing(), next() until nullopt.
class RawSessionBidi {
 public:
  RawSessionBidi(std::shared_ptr<SessionStream> s, uint64_t call, codec::TypeRef request,
                 codec::TypeRef response)
      : s_(std::move(s)), call_(call), request_(std::move(request)), response_(std::move(response)) {}
  RawSessionBidi(RawSessionBidi&& o) noexcept
      : s_(std::move(o.s_)), call_(o.call_), request_(std::move(o.request_)),
        response_(std::move(o.response_)), done_(o.done_) {
    o.done_ = true;
  }
  RawSessionBidi& operator=(RawSessionBidi&&) = delete;
  ~RawSessionBidi() {
    if (s_ && !done_) s_->abandon_call();
  }
  asio::awaitable<Status> write(const Value& request);
  asio::awaitable<Status> done_writing() { return s_->end_input(call_); }
  asio::awaitable<Result<std::optional<Value>>> next();
  asio::awaitable<void> cancel();

 private:
  std::shared_ptr<SessionStream> s_;
  uint64_t call_;
  codec::TypeRef request_, response_;
  bool done_ = false;
};

// A session by method name with aster::Value payloads, types from a run-time ServiceDesc.
class RawSession {
 public:
  // `desc` is borrowed and must outlive the session.
  RawSession(std::shared_ptr<SessionStream> stream, const contract::ServiceDesc& desc)
      : s_(std::move(stream)), desc_(&desc) {}
  // Opens a session on a new stream of `channel`.
  // `registry` (RawTransport::value_registry()) reads replies of builtin container types.
  static asio::awaitable<Result<RawSession>> open(Channel& channel,
                                                  const contract::ServiceDesc& desc,
                                                  int64_t version, bool json = false,
                                                  const codec::TypeRegistry* registry = nullptr);

  const std::string& session_id() const { return s_->session_id(); }
  asio::awaitable<Result<Value>> unary(std::string method, Value request,
                                       CallOptions options = {});
  asio::awaitable<Result<RawSessionServerStream>> server_stream(std::string method, Value request,
                                                                CallOptions options = {});
  asio::awaitable<Result<RawSessionClientStream>> client_stream(std::string method,
                                                                CallOptions options = {});
  asio::awaitable<Result<RawSessionBidi>> bidi(std::string method, CallOptions options = {});
  asio::awaitable<void> cancel() { return s_->cancel(); }
  asio::awaitable<Status> close() { return s_->close(); }

 private:
  std::shared_ptr<SessionStream> s_;
  const contract::ServiceDesc* desc_;
};

}  // namespace aster::rpc
