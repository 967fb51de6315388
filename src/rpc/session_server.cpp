// The producer side of a session stream, with 0.1.2's rules
// (aster-rpc@0972ac9:bindings/python/aster/session.py `SessionServer._session_loop` and the
// `_dispatch_*` methods). The differences from 0.1.2 that a consumer can observe are listed
// in docs/compatibility.md ("Session-scoped services").
#include "session_server.hpp"

#include "deadline_rule.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>

#include "aster/rpc/dispatcher.hpp"
#include "aster/transport/deadline.hpp"
#include "aster/wire/compression.hpp"

namespace aster::rpc {
namespace {

using wire::Frame;
namespace flags = wire::flags;

// 0.1.2's metadata limits on a CallHeader (aster-rpc@0972ac9:bindings/python/aster/limits.py
// `validate_metadata`); lengths of keys and values count characters, the total counts bytes.
constexpr size_t kMaxMetadataTotalBytes = 8192;
constexpr size_t kMaxMetadataKeyLen = 256;
constexpr size_t kMaxMetadataValueLen = 4096;

// Frames read ahead are bounded so a consumer that floods the stream is held back by flow
// control instead of filling memory.
constexpr size_t kInboxMaxFrames = 16;
constexpr size_t kInboxMaxBytes = 32u << 20;

size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string limit_message(const std::string& field, size_t limit, size_t actual) {
  return field + " exceeds limit of " + std::to_string(limit) + " (got " +
         std::to_string(actual) + ")";
}

Status validate_metadata(const wire::CallHeader& h) {
  if (h.metadata_keys.size() > kMaxMetadataEntries) {
    return Status(StatusCode::kResourceExhausted,
                  limit_message("metadata entries", kMaxMetadataEntries, h.metadata_keys.size()));
  }
  size_t total = 0;
  for (const auto& k : h.metadata_keys) {
    if (utf8_chars(k) > kMaxMetadataKeyLen) {
      return Status(StatusCode::kResourceExhausted,
                    limit_message("metadata key length", kMaxMetadataKeyLen, utf8_chars(k)));
    }
    total += k.size();
  }
  for (const auto& v : h.metadata_values) {
    if (utf8_chars(v) > kMaxMetadataValueLen) {
      return Status(StatusCode::kResourceExhausted,
                    limit_message("metadata value length", kMaxMetadataValueLen, utf8_chars(v)));
    }
    total += v.size();
  }
  if (total > kMaxMetadataTotalBytes) {
    return Status(StatusCode::kResourceExhausted,
                  limit_message("metadata total bytes", kMaxMetadataTotalBytes, total));
  }
  return Status::ok();
}

// Wakes one waiting coroutine (single-threaded use).
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& ex) : timer_(ex) {}
  asio::awaitable<void> wait() {
    timer_.expires_at(std::chrono::steady_clock::time_point::max());
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  void notify() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// The session's incoming frames, read ahead by a pump (0.1.2 `_pump_frames`) so that a CANCEL
// or the next CALL is seen while a handler runs. nullopt in the queue = end of stream (or a
// read error, which 0.1.2 also treats as the end).
struct InboxState {
  explicit InboxState(const asio::any_io_executor& ex) : arrived(ex), space(ex) {}
  std::deque<std::optional<Frame>> frames;
  size_t bytes = 0;
  bool ended = false;      // the pump queued the end
  bool eof = false;        // ... because the consumer finished (or reset) its side
  bool stopping = false;   // Inbox::stop() cancels the pump
  bool pump_done = false;  // the pump coroutine finished
  Signal arrived;          // the session loop waits here: frame queued, or notify()
  Signal space;            // the pump waits here when the queue is full
};

asio::awaitable<void> pump_frames(std::shared_ptr<InboxState> st, wire::FrameReader& reader) {
  try {
    while (true) {
      while (st->frames.size() >= kInboxMaxFrames || st->bytes >= kInboxMaxBytes) {
        co_await st->space.wait();
      }
      auto frame = co_await reader.next();
      if (!frame.is_ok() || !frame->has_value()) {
        st->eof = !st->stopping;
        break;
      }
      st->bytes += (*frame)->payload.size();
      st->frames.push_back(std::move(*frame));
      st->arrived.notify();
    }
  } catch (...) {
    // Cancelled at the end of the session.
  }
  st->frames.push_back(std::nullopt);
  st->ended = true;
  st->pump_done = true;
  st->arrived.notify();
}

class Inbox {
 public:
  Inbox(const asio::any_io_executor& ex, wire::FrameReader& reader)
      : st_(std::make_shared<InboxState>(ex)) {
    asio::co_spawn(ex, pump_frames(st_, reader),
                   asio::bind_cancellation_slot(stop_.slot(), [](std::exception_ptr) {}));
  }

  bool empty() const { return st_->frames.empty(); }
  const std::optional<Frame>& front() const { return st_->frames.front(); }
  std::optional<Frame> pop() {
    std::optional<Frame> f = std::move(st_->frames.front());
    st_->frames.pop_front();
    if (f) st_->bytes -= f->payload.size();
    if (!f) st_->frames.push_back(std::nullopt);  // the end stays the end
    st_->space.notify();
    return f;
  }
  void push_front(Frame f) {
    st_->bytes += f.payload.size();
    st_->frames.push_front(std::move(f));
  }
  // The next frame, waiting for it.
  asio::awaitable<std::optional<Frame>> next() {
    while (empty()) co_await wait();
    co_return pop();
  }
  asio::awaitable<void> peek() {
    while (empty()) co_await wait();
  }
  // Until a frame arrives or notify() is called.
  asio::awaitable<void> wait() { co_await st_->arrived.wait(); }
  void notify() { st_->arrived.notify(); }
  std::shared_ptr<InboxState> state() const { return st_; }

  // Stops the pump and waits until it finished (it borrows the FrameReader).
  asio::awaitable<void> stop() {
    st_->stopping = true;
    stop_.emit(asio::cancellation_type::terminal);
    st_->space.notify();
    while (!st_->pump_done) co_await wait();
  }

 private:
  std::shared_ptr<InboxState> st_;
  asio::cancellation_signal stop_;
};

// How a running call was interrupted by what arrived meanwhile.
enum class Interrupt { kNone, kCancelled, kDeadline, kNextFrame, kClosed };

struct CallState {
  Interrupt interrupt = Interrupt::kNone;
  bool writing = false;       // a response frame is being written (never cancel mid-frame)
  bool write_failed = false;  // the consumer went away
  asio::cancellation_signal handler_stop;

  Status interrupt_status() const {
    switch (interrupt) {
      case Interrupt::kDeadline:
        return Status(StatusCode::kDeadlineExceeded, "deadline exceeded");
      case Interrupt::kNextFrame:
        return Status(StatusCode::kFailedPrecondition, "CALL received during stream");
      default:
        return Status(StatusCode::kCancelled, "cancelled");
    }
  }
  void stop_handler() {
    if (!writing) handler_stop.emit(asio::cancellation_type::terminal);
  }
};

// The requests of a client-stream or bidi call: data frames between its CALL and the
// consumer's end-of-input TRAILER, handed over by the session's watcher loop (which also sees
// the CANCEL, CALL or end that can interrupt the call) and taken by the handler's
// ServerReader.
class SessionInput final : public RequestSource {
 public:
  SessionInput(const asio::any_io_executor& ex, std::shared_ptr<InboxState> inbox)
      : arrived_(ex), inbox_(std::move(inbox)) {}

  asio::awaitable<std::optional<std::vector<uint8_t>>> next() override {
    while (items_.empty() && !ended_) co_await arrived_.wait();
    if (items_.empty()) co_return std::nullopt;
    std::vector<uint8_t> item = std::move(items_.front());
    items_.pop_front();
    inbox_->arrived.notify();  // room for the watcher to hand over more
    co_return std::move(item);
  }
  // A request the handler's reader could not decode: 0.1.2 answers INTERNAL in a session.
  void fail(Status status) override {
    end_with(Status(StatusCode::kInternal, status.message()));
  }

  // For the watcher.
  bool accepting() const { return !ended_ && items_.size() < kInboxMaxFrames; }
  void deliver(std::vector<uint8_t> item) {
    items_.push_back(std::move(item));
    arrived_.notify();
  }
  void end() {
    ended_ = true;
    arrived_.notify();
  }
  void end_with(Status status) {
    if (failure_.is_ok()) failure_ = std::move(status);
    end();
  }
  void complete() {
    complete_ = true;
    end();
  }
  bool ended() const { return ended_; }
  bool is_complete() const { return complete_; }  // the consumer's end-of-input was read
  const Status& failure() const { return failure_; }
  size_t delivered = 0;

 private:
  Signal arrived_;
  std::shared_ptr<InboxState> inbox_;
  std::deque<std::vector<uint8_t>> items_;
  bool ended_ = false;
  bool complete_ = false;
  Status failure_;
};

// What a call does with frames that arrive while its handler runs.
enum class Input {
  kNone,      // unary: any frame interrupts the call (0.1.2 `_read_cancel_frame`)
  kDropData,  // server stream: stray data frames are dropped
  kFeed,      // client stream / bidi: data frames and the end-of-input TRAILER feed the input
};

class Session {
 public:
  Session(const SessionServiceImpl& service, const Dispatcher& dispatcher,
          transport::ByteStream& stream, wire::FrameReader& reader,
          const asio::any_io_executor& ex, bool json)
      : service_(service),
        dispatcher_(dispatcher),
        stream_(stream),
        ex_(ex),
        json_(json),
        inbox_(ex, reader) {}

  asio::awaitable<Status> write_trailer(const Status& status) {
    auto payload = wire::encode_message(wire::to_rpc_status(status), json_);
    if (!payload.is_ok()) co_return payload.status();
    wire::FrameWriter writer(stream_);
    co_return co_await writer.write(flags::kTrailer, *payload);
  }
  asio::awaitable<Status> write_data(std::span<const uint8_t> payload) {
    wire::FrameWriter writer(stream_);
    co_return co_await writer.write_data(payload, /*compress=*/!json_);
  }

  // The loop over CALL frames; returns when the session is over.
  asio::awaitable<void> run(void* self, CallContext base);
  Inbox& inbox() { return inbox_; }

 private:
  enum class After { kNextCall, kEnd };
  asio::awaitable<After> unary(const SessionMethodBinding& m, void* self, CallContext& ctx);
  asio::awaitable<After> server_stream(const SessionMethodBinding& m, void* self,
                                       CallContext& ctx);
  asio::awaitable<After> client_stream(const SessionMethodBinding& m, void* self,
                                       CallContext& ctx);
  asio::awaitable<After> bidi(const SessionMethodBinding& m, void* self, CallContext& ctx);
  // Hands one frame at the head of the inbox to `input` (kFeed calls); false when it must
  // wait (input full) or the frame interrupts the call.
  bool feed(SessionInput& input, CallState& call, bool client_stream);
  // After a streaming call ended without reading the consumer's end of input: drops the
  // rest of that input up to its TRAILER (stops at a CALL, CANCEL or the end).
  asio::awaitable<void> skip_input();
  // Drops the input of a call answered before its handler ran (its request frame, or its
  // stream up to the end-of-input TRAILER), so the session can go on with the next CALL.
  asio::awaitable<void> skip_call(const SessionMethodBinding& m);
  // The request frame of a unary / server-stream call; nullopt after answering its absence.
  asio::awaitable<std::optional<std::vector<uint8_t>>> request(After& after);
  // Runs `op` while watching the inbox and the deadline.
  template <typename T>
  asio::awaitable<T> watched(asio::awaitable<T> op, CallState& call,
                             std::chrono::milliseconds budget, Input mode,
                             SessionInput* input = nullptr, bool client_stream = false);

  const SessionServiceImpl& service_;
  const Dispatcher& dispatcher_;
  transport::ByteStream& stream_;
  asio::any_io_executor ex_;
  bool json_;
  Inbox inbox_;
};

template <typename T>
asio::awaitable<T> Session::watched(asio::awaitable<T> op, CallState& call,
                                    std::chrono::milliseconds budget, Input mode,
                                    SessionInput* input, bool client_stream) {
  const bool streaming = mode != Input::kNone;
  struct Run {
    bool done = false;
    bool deadline = false;
    std::optional<T> result;
  };
  auto run = std::make_shared<Run>();
  auto inbox = inbox_.state();
  asio::co_spawn(ex_, std::move(op),
                 asio::bind_cancellation_slot(call.handler_stop.slot(),
                                              [run, inbox](std::exception_ptr e, T r) {
                                                if (!e) run->result.emplace(std::move(r));
                                                run->done = true;
                                                inbox->arrived.notify();
                                              }));
  asio::steady_timer timer(ex_, budget);
  timer.async_wait([run, inbox](std::error_code ec) {
    if (ec) return;
    run->deadline = true;
    inbox->arrived.notify();
  });
  while (!run->done) {
    if (call.interrupt == Interrupt::kNone) {
      if (run->deadline) {
        call.interrupt = Interrupt::kDeadline;
        if (input != nullptr) input->end();
        call.stop_handler();
      } else if (!inbox_.empty()) {
        const auto& head = inbox_.front();
        if (mode == Input::kFeed && feed(*input, call, client_stream)) continue;
        if (mode == Input::kFeed && call.interrupt == Interrupt::kNone && head &&
            !head->has(flags::kCall) && !head->has(flags::kCancel)) {
          // Input full: wait until the handler takes some.
          co_await inbox_.wait();
          continue;
        }
        if (!head) {
          // The consumer finished mid-call: 0.1.2 answers a unary call with
          // FAILED_PRECONDITION before it sees the end; a stream just ends.
          call.interrupt = streaming ? Interrupt::kClosed : Interrupt::kNextFrame;
        } else if (head->has(flags::kCancel)) {
          (void)inbox_.pop();
          call.interrupt = Interrupt::kCancelled;
        } else if (head->has(flags::kCall) || !streaming) {
          call.interrupt = Interrupt::kNextFrame;  // left queued: the loop handles it next
        } else {
          (void)inbox_.pop();  // a stray data frame during a server stream: dropped, as 0.1.2
          continue;
        }
        if (input != nullptr) input->end();
        call.stop_handler();
      }
    }
    if (run->done) break;
    co_await inbox_.wait();
  }
  timer.cancel();
  if (input != nullptr) input->end();
  if (!run->result) {
    co_return T(Status(StatusCode::kInternal, "handler ended with an exception"));
  }
  co_return std::move(*run->result);
}

asio::awaitable<std::optional<std::vector<uint8_t>>> Session::request(After& after) {
  auto frame = co_await inbox_.next();
  after = After::kNextCall;
  if (!frame) {
    after = After::kEnd;
    co_return std::nullopt;
  }
  if (frame->has(flags::kCancel)) {
    co_await write_trailer(Status(StatusCode::kCancelled, "cancelled"));
    co_return std::nullopt;
  }
  if (frame->has(flags::kCall)) {
    // Left for the loop to run as the next call (0.1.2 puts it back in its queue).
    inbox_.push_front(std::move(*frame));
    co_await write_trailer(Status(StatusCode::kFailedPrecondition, "CALL frame before request"));
    co_return std::nullopt;
  }
  auto payload = wire::data_payload(std::move(*frame));
  if (!payload.is_ok()) {
    co_await write_trailer(
        Status(StatusCode::kInternal, "Decode error: " + payload.status().message()));
    co_return std::nullopt;
  }
  co_return std::move(*payload);
}

asio::awaitable<Session::After> Session::unary(const SessionMethodBinding& m, void* self,
                                               CallContext& ctx) {
  After after;
  auto request_bytes = co_await request(after);
  if (!request_bytes) co_return after;
  CallState call;
  auto result = co_await watched(m.unary(self, std::move(*request_bytes), ctx), call,
                                 handler_budget(ctx), Input::kNone);
  switch (call.interrupt) {
    case Interrupt::kNone:
      break;
    case Interrupt::kNextFrame:
      co_await write_trailer(
          Status(StatusCode::kFailedPrecondition, "CALL received during active call"));
      co_return After::kNextCall;
    default:
      co_await write_trailer(call.interrupt_status());
      co_return After::kNextCall;
  }
  if (!result.is_ok()) {
    co_await write_trailer(result.status());
    co_return After::kNextCall;
  }
  // Success is the response frame alone: no trailer inside a session.
  Status written = co_await write_data(*result);
  co_return written.is_ok() ? After::kNextCall : After::kEnd;
}

// Response frames of a server-stream call inside a session: stops (with the status the
// handler should return) once the call was interrupted; never interrupted mid-frame.
class SessionSink final : public ResponseSink {
 public:
  SessionSink(Session& session, CallState& call) : session_(&session), call_(&call) {}
  asio::awaitable<Status> send(std::vector<uint8_t> payload) override {
    if (call_->write_failed) co_return Status(StatusCode::kUnavailable, "consumer went away");
    if (call_->interrupt != Interrupt::kNone) co_return call_->interrupt_status();
    call_->writing = true;
    Status st = co_await session_->write_data(payload);
    call_->writing = false;
    if (!st.is_ok()) {
      call_->write_failed = true;
      co_return st;
    }
    if (call_->interrupt != Interrupt::kNone) {
      // Interrupted while writing: cancel what the handler awaits next.
      call_->handler_stop.emit(asio::cancellation_type::terminal);
      co_return call_->interrupt_status();
    }
    co_return Status::ok();
  }

 private:
  Session* session_;
  CallState* call_;
};

asio::awaitable<Session::After> Session::server_stream(const SessionMethodBinding& m, void* self,
                                                       CallContext& ctx) {
  After after;
  auto request_bytes = co_await request(after);
  if (!request_bytes) co_return after;
  CallState call;
  SessionSink sink(*this, call);
  Status st = co_await watched(m.server_stream(self, std::move(*request_bytes), ctx, sink), call,
                               handler_budget(ctx), Input::kDropData);
  if (call.write_failed || call.interrupt == Interrupt::kClosed) co_return After::kEnd;
  if (call.interrupt != Interrupt::kNone) st = call.interrupt_status();
  Status written = co_await write_trailer(st);
  co_return written.is_ok() ? After::kNextCall : After::kEnd;
}

bool Session::feed(SessionInput& input, CallState& call, bool client_stream) {
  const auto& head = inbox_.front();
  if (!head || head->has(flags::kCall) || head->has(flags::kCancel)) return false;
  if (head->has(flags::kTrailer)) {
    std::optional<Frame> eoi = inbox_.pop();
    // Client stream: OK ends input; non-OK or undecodable fails the call (0.1.2
    // `_dispatch_client_stream`). Bidi takes any trailer as the end (`_dispatch_bidi_stream`).
    if (client_stream) {
      auto status = wire::decode_rpc_status(eoi->payload);
      if (!status.is_ok()) {
        input.end_with(Status(StatusCode::kInternal, "malformed EoI trailer"));
      } else if (status->code != 0) {
        input.end_with(Status(StatusCode::kInternal, "client sent non-OK EoI trailer (code=" +
                                                         std::to_string(status->code) + ")"));
      }
    }
    input.complete();
    return true;
  }
  if (input.ended()) {
    (void)inbox_.pop();  // input already failed: the rest of it is dropped
    return true;
  }
  if (!input.accepting()) return false;
  std::optional<Frame> frame = inbox_.pop();
  if (client_stream && input.delivered >= kMaxClientStreamItems) {
    input.end_with(Status(StatusCode::kResourceExhausted,
                          "client stream exceeded " + std::to_string(kMaxClientStreamItems) +
                              " items"));
    return true;
  }
  auto payload = wire::data_payload(std::move(*frame));
  if (!payload.is_ok()) {
    input.end_with(Status(StatusCode::kInternal, payload.status().message()));
    return true;
  }
  ++input.delivered;
  input.deliver(std::move(*payload));
  (void)call;
  return true;
}

asio::awaitable<void> Session::skip_call(const SessionMethodBinding& m) {
  if (m.client_stream || m.bidi) {
    co_await skip_input();
    co_return;
  }
  co_await inbox_.peek();
  const auto& head = inbox_.front();
  if (head && !head->has(flags::kCall) && !head->has(flags::kCancel)) (void)inbox_.pop();
}

asio::awaitable<void> Session::skip_input() {
  while (true) {
    co_await inbox_.peek();
    const auto& head = inbox_.front();
    if (!head || head->has(flags::kCall) || head->has(flags::kCancel)) co_return;
    const bool end = head->has(flags::kTrailer);
    (void)inbox_.pop();
    if (end) co_return;
  }
}

asio::awaitable<Session::After> Session::client_stream(const SessionMethodBinding& m, void* self,
                                                       CallContext& ctx) {
  CallState call;
  SessionInput input(ex_, inbox_.state());
  auto result = co_await watched(m.client_stream(self, input, ctx), call, handler_budget(ctx),
                                 Input::kFeed, &input, /*client_stream=*/true);
  if (call.interrupt == Interrupt::kClosed) co_return After::kEnd;
  Status written;
  if (call.interrupt != Interrupt::kNone) {
    written = co_await write_trailer(call.interrupt_status());
  } else if (!input.failure().is_ok()) {
    written = co_await write_trailer(input.failure());
  } else if (!result.is_ok()) {
    written = co_await write_trailer(result.status());
  } else {
    written = co_await write_data(*result);  // success: the response frame alone
  }
  if (!written.is_ok()) co_return After::kEnd;
  if (call.interrupt == Interrupt::kNone && !input.is_complete()) co_await skip_input();
  co_return After::kNextCall;
}

asio::awaitable<Session::After> Session::bidi(const SessionMethodBinding& m, void* self,
                                              CallContext& ctx) {
  CallState call;
  SessionInput input(ex_, inbox_.state());
  SessionSink sink(*this, call);
  Status st = co_await watched(m.bidi(self, input, ctx, sink), call, handler_budget(ctx),
                               Input::kFeed, &input, /*client_stream=*/false);
  if (call.write_failed || call.interrupt == Interrupt::kClosed) co_return After::kEnd;
  if (call.interrupt != Interrupt::kNone) {
    st = call.interrupt_status();
  } else if (!input.failure().is_ok()) {
    st = Status(StatusCode::kInternal, "bidi stream reader error: " + input.failure().message());
  }
  if (!(co_await write_trailer(st)).is_ok()) co_return After::kEnd;
  if (call.interrupt == Interrupt::kNone && !input.is_complete()) co_await skip_input();
  co_return After::kNextCall;
}

asio::awaitable<void> Session::run(void* self, CallContext base) {
  while (true) {
    auto frame = co_await inbox_.next();
    if (!frame) co_return;  // the consumer closed the session
    if (frame->has(flags::kCancel)) {
      // CANCEL with no call in flight is still acknowledged (0.1.2 does the same).
      if (!(co_await write_trailer(Status(StatusCode::kCancelled, "cancelled"))).is_ok()) co_return;
      continue;
    }
    if (!frame->has(flags::kCall)) {
      co_await write_trailer(Status(StatusCode::kFailedPrecondition, "Expected CALL frame"));
      co_return;
    }
    auto call_header = wire::decode_call_header(frame->payload);
    if (!call_header.is_ok()) {
      co_await write_trailer(Status(StatusCode::kInternal,
                                    "Invalid CallHeader: " + call_header.status().message()));
      co_return;
    }
    const SessionMethodBinding* m = service_.find(call_header->method);
    if (m == nullptr) {
      co_await write_trailer(
          Status(StatusCode::kUnimplemented, "Method not found: " + call_header->method));
      co_return;
    }
    if (Status limits = validate_metadata(*call_header); !limits.is_ok()) {
      co_await write_trailer(limits);
      co_return;
    }
    CallContext ctx = base;
    ctx.method = call_header->method;
    ctx.call_id = call_header->call_id;
    const size_t n = std::min(call_header->metadata_keys.size(), call_header->metadata_values.size());
    for (size_t i = 0; i < n; ++i) {
      ctx.metadata.emplace_back(call_header->metadata_keys[i], call_header->metadata_values[i]);
    }
    if (call_header->deadline_epoch_ms != 0) {
      ctx.deadline = std::chrono::system_clock::time_point(
          std::chrono::milliseconds(call_header->deadline_epoch_ms));
    }
    // 0.1.2's interceptors in its order, per call: capabilities (Gate 3) against the peer's
    // attributes now, then the deadline. A call refused here gets its trailer and the session
    // stays. Unlike 0.1.2 (which then reads the call's request frame as a stray frame and ends
    // the session with "Expected CALL frame") we skip that call's input.
    ctx.attributes = dispatcher_.attributes_of(ctx.peer);
    Status refused = check_capabilities(service_.desc(), service_.desc().find_method(ctx.method),
                                        ctx.attributes);
    if (refused.is_ok()) refused = expired_deadline(call_header->deadline_epoch_ms);
    if (!refused.is_ok()) {
      if (!(co_await write_trailer(refused)).is_ok()) co_return;
      co_await skip_call(*m);
      continue;
    }
    After after = After::kEnd;
    if (m->unary) {
      after = co_await unary(*m, self, ctx);
    } else if (m->server_stream) {
      after = co_await server_stream(*m, self, ctx);
    } else if (m->client_stream) {
      after = co_await client_stream(*m, self, ctx);
    } else if (m->bidi) {
      after = co_await bidi(*m, self, ctx);
    } else {
      co_await write_trailer(Status(StatusCode::kInternal, "Handler missing: " + ctx.method));
    }
    if (after == After::kEnd) co_return;
  }
}

// After a session-ending error: what the consumer still writes is read and dropped (up to a
// bound), so that its pending writes succeed and it reads our trailer and FIN instead of
// failing on STOP_SENDING. A 0.1.2 producer never stops reading a session stream.
constexpr size_t kDrainLimit = 64u << 20;
constexpr std::chrono::seconds kDrainTimeout{10};

asio::awaitable<bool> drain(transport::ByteStream& stream) {
  std::vector<uint8_t> buf(64 * 1024);
  size_t total = 0;
  while (total < kDrainLimit) {
    auto n = co_await stream.read_some(buf);
    if (!n.is_ok() || *n == 0) break;
    total += *n;
  }
  co_return true;
}

}  // namespace

asio::awaitable<void> serve_session(const SessionServiceImpl& service,
                                    transport::ByteStream& stream, wire::FrameReader& reader,
                                    const wire::StreamHeader& header, std::string peer,
                                    const Dispatcher& dispatcher) {
  auto ex = co_await asio::this_coro::executor;
  const bool json =
      header.serialization_mode == static_cast<int64_t>(wire::SerializationMode::kJson);
  auto instance = service.make_instance(peer);
  if (!instance.is_ok()) {
    auto payload = wire::encode_message(wire::to_rpc_status(instance.status()), json);
    wire::FrameWriter writer(stream);
    if (payload.is_ok()) (void)co_await writer.write_and_finish(flags::kTrailer, *payload);
    co_return;
  }
  CallContext base;
  base.service = header.service;
  base.session_id = header.call_id;
  base.peer = std::move(peer);
  base.json = json;
  Session session(service, dispatcher, stream, reader, ex, json);
  std::exception_ptr failure;
  try {
    co_await session.run(instance->get(), std::move(base));
  } catch (...) {
    failure = std::current_exception();  // server shutdown
  }
  if (failure) co_await asio::this_coro::reset_cancellation_state();
  co_await session.inbox().stop();
  service.close_instance(instance->get());
  if (failure) {
    (void)stream.reset(0);
    co_return;
  }
  (void)co_await stream.finish();
  if (!session.inbox().state()->eof) {
    (void)co_await transport::with_deadline(drain(stream), kDrainTimeout);
  }
}

Status SessionServiceImpl::check() const {
  if (!error_.is_ok()) return error_;
  if (desc_->scope() != contract::ScopeKind::kSession) {
    return Status(StatusCode::kInvalidArgument,
                  desc_->name() + " is not session-scoped: bind it with ServiceImpl");
  }
  for (const auto& m : desc_->methods()) {
    if (bindings_.count(m.name) == 0) {
      return Status(StatusCode::kInvalidArgument,
                    desc_->name() + "." + m.name + " has no handler");
    }
  }
  return Status::ok();
}

Result<std::shared_ptr<void>> SessionServiceImpl::make_instance(const std::string& peer) const {
  try {
    auto instance = factory_(peer);
    if (!instance) return Status(StatusCode::kInternal, "session factory returned nothing");
    return instance;
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, e.what());
  } catch (...) {
    return Status(StatusCode::kInternal, "session factory failed");
  }
}

void SessionServiceImpl::close_instance(void* self) const {
  if (!on_close_) return;
  try {
    on_close_(self);
  } catch (...) {
    // 0.1.2 logs and ignores on_session_close failures.
  }
}

}  // namespace aster::rpc

namespace aster::rpc::detail {

Status session_status_of_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const RpcError& err) {
    return err.status().is_ok() ? Status(StatusCode::kInternal, "RpcError with OK status")
                                : err.status();
  } catch (const std::exception& err) {
    return Status(StatusCode::kInternal, err.what());
  } catch (...) {
    return Status(StatusCode::kInternal, "unknown exception");
  }
}

}  // namespace aster::rpc::detail
