// Stream halves over the bridge (bridge/include/aster_iroh.h, bridge/src/stream.rs): writes,
// reads and read-to-end usually complete inline (ASTER_IROH_DONE) without suspending.
#include "aster/transport/stream.hpp"

#include "runtime_core.hpp"

namespace aster::transport {

using detail::BridgeEvent;

namespace detail {
void BridgeHandle::release() noexcept {
  if (core_ && id_ != 0) release(*core_, id_, kind_);
  id_ = 0;
  core_.reset();
}

void BridgeHandle::release(RuntimeCore& core, uint64_t h, HandleKind kind) noexcept {
  if (kind == HandleKind::kEndpoint || kind == HandleKind::kConnection) core.forget_handle(h);
  const bool gathered =
      (kind == HandleKind::kSend || kind == HandleKind::kRecv || kind == HandleKind::kLease) &&
      core.release_later(h, kind == HandleKind::kLease);
  if (gathered) return;
  core.with_rt(
      [&](aster_iroh_rt* rt) {
        switch (kind) {
          case HandleKind::kEndpoint:
            return aster_iroh_endpoint_free(rt, h);
          case HandleKind::kConnection:
            return aster_iroh_conn_free(rt, h);
          case HandleKind::kSend:
            return aster_iroh_send_free(rt, h);
          case HandleKind::kRecv:
            return aster_iroh_recv_free(rt, h);
          case HandleKind::kLease:
            return aster_iroh_lease_release(rt, h);
          case HandleKind::kDoc:
            return aster_iroh_doc_free(rt, h);
        }
        return int32_t{0};
      },
      int32_t{0});
}
}  // namespace detail

// ---- SendStream -----------------------------------------------------------------------------

SendStream& SendStream::operator=(SendStream&& other) noexcept {
  if (this != &other) {
    abandon();
    handle_ = std::move(other.handle_);
    done_ = other.done_;
    pending_user_data_ = std::exchange(other.pending_user_data_, 0);
    pending_op_ = std::exchange(other.pending_op_, 0);
  }
  return *this;
}

SendStream::~SendStream() {
  abandon();
}

void SendStream::abandon() {
  // Not finished: reset, or noq's drop would FIN a truncated request.
  if (handle_ && !done_) (void)reset(kResetOnDestroy);
  handle_.release();
}

namespace {
// A write's steps (detail::start_on, then the wait): `submit` calls aster_iroh_send or
// aster_iroh_send_owned.
template <typename Submit>
asio::awaitable<Status> send(const detail::BridgeHandle& h, Submit submit) {
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  detail::StartedOp op = detail::start_on(h, "stream", state, std::move(submit));
  if (op.pending) {
    auto waiting = op.core->wait(*op.pending, {});  // named: see RuntimeCore::run
    BridgeEvent got = co_await std::move(waiting);
    co_return detail::status_of(got);
  }
  if (!op.done) co_return op.done.status();
  co_return detail::status_of(*op.done);
}

// aster_iroh_send_owned's release: the reference the bridge held (any thread).
extern "C" void release_shared_bytes(void* ctx) {
  delete static_cast<std::shared_ptr<const std::vector<uint8_t>>*>(ctx);
}
}  // namespace

asio::awaitable<Status> SendStream::write(std::span<const uint8_t> data) {
  return send(handle_, [data](aster_iroh_rt* rt, uint64_t id, uint64_t ud, aster_iroh_op* op,
                              aster_iroh_event* now) {
    return aster_iroh_send(rt, id, data.data(), data.size(), 0, ud, op, now);
  });
}

asio::awaitable<Status> SendStream::write(SharedBytes data) {
  return send(handle_, [data = std::move(data)](aster_iroh_rt* rt, uint64_t id, uint64_t ud,
                                                aster_iroh_op* op, aster_iroh_event* now) {
    const std::span<const uint8_t> bytes = data.bytes();
    // The bridge's reference, released by the bridge (exactly once, whatever this returns).
    auto* held = new std::shared_ptr<const std::vector<uint8_t>>(data.buf_);
    return aster_iroh_send_owned(rt, id, bytes.data(), bytes.size(), release_shared_bytes, held,
                                 0, ud, op, now);
  });
}

namespace {
// The write that ends a stream (its bytes and FIN in one bridge operation), up to its wait
// (detail::start_on), shared by write_and_finish and start_write_and_finish.
detail::StartedOp start_send_fin(const detail::BridgeHandle& h, std::span<const uint8_t> data,
                                 const asio::cancellation_state& state, uint32_t flags = 0) {
  return detail::start_on(
      h, "stream", state,
      [data, flags](aster_iroh_rt* rt, uint64_t id, uint64_t ud, aster_iroh_op* op,
                    aster_iroh_event* now) {
        return aster_iroh_send(rt, id, data.data(), data.size(), ASTER_IROH_SEND_FIN | flags, ud,
                               op, now);
      });
}

Status status_of_done(const Result<BridgeEvent>& done) {
  return done ? detail::status_of(*done) : done.status();
}
}  // namespace

asio::awaitable<Status> SendStream::write_and_finish(std::span<const uint8_t> data) {
  // Finished only once the write went through: a failed or cancelled one leaves the stream to
  // be reset on destruction, so a truncated message never ends with a FIN. send()'s steps
  // written out, and run_on's (detail::start_on): two coroutine frames fewer for the write
  // that ends every call.
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  detail::StartedOp op = start_send_fin(handle_, data, state);
  if (op.pending) {
    auto waiting = op.core->wait(*op.pending, {});  // named: see RuntimeCore::run
    BridgeEvent got = co_await std::move(waiting);
    op.done = std::move(got);
  }
  Status st = status_of_done(op.done);
  if (st.is_ok() && handle_) done_ = true;
  co_return st;
}

std::optional<Status> SendStream::start_write_and_finish(std::span<const uint8_t> data) {
  // write_and_finish's steps up to its wait, outside any coroutine: a producer's answer is one
  // short write, and a coroutine frame for it was ≈ 1.4% of a request of bench/transport
  // (callgrind). Cancellation reaches the write only once it waits.
  // ASTER_IROH_SEND_RELEASE: a write that completes at once (OK) frees the send half in the
  // bridge as well, instead of a free of ours when this object goes (ABI 14); nothing can be
  // done with a finished send half but stopped(), which the callers of this do not ask.
  // start_on's steps written out for the usual outcome, a write that went through at once:
  // no BridgeEvent made of it and no reference to the runtime taken for a wait.
  if (!handle_) return Status(StatusCode::kFailedPrecondition, "stream not valid");
  detail::RuntimeCore& core = *handle_.core();
  const uint64_t id = handle_.id();
  auto submit = [&](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op, aster_iroh_event* now) {
    return aster_iroh_send(rt, id, data.data(), data.size(),
                           ASTER_IROH_SEND_FIN | ASTER_IROH_SEND_RELEASE, ud, op, now);
  };
  const detail::RuntimeCore::Submission sent = core.submit_now(submit);
  if (sent.status == ASTER_IROH_OK) {
    pending_user_data_ = sent.user_data;
    pending_op_ = sent.op;
    return std::nullopt;
  }
  if (sent.status == ASTER_IROH_DONE && sent.now.status == ASTER_IROH_OK &&
      sent.now.lease == 0) {
    done_ = true;
    handle_.disown();  // freed by the bridge with the write (SEND_RELEASE)
    return Status::ok();
  }
  const Result<BridgeEvent> done = sent.status == ASTER_IROH_DONE
                                       ? Result<BridgeEvent>(core.take(sent.now))
                                       : Result<BridgeEvent>(detail::RuntimeCore::rejected(sent.status));
  Status st = status_of_done(done);
  if (st.is_ok() && handle_) {
    done_ = true;
    handle_.disown();
  }
  return st;
}

asio::awaitable<Status> SendStream::write_pending() {
  if (pending_user_data_ == 0 || !handle_) {
    co_return Status(StatusCode::kFailedPrecondition, "no write pending");
  }
  detail::RuntimeCore::Submission s;
  s.status = ASTER_IROH_OK;
  s.user_data = std::exchange(pending_user_data_, 0);
  s.op = std::exchange(pending_op_, 0);
  auto core = handle_.core();  // alive across the wait
  auto waiting = core->wait(s, {});  // named: see RuntimeCore::run
  BridgeEvent got = co_await std::move(waiting);
  Status st = detail::status_of(got);
  if (st.is_ok() && handle_) done_ = true;
  co_return st;
}

Status SendStream::finish() {
  if (handle_) done_ = true;
  return detail::call_on(handle_, "stream",
                         [](aster_iroh_rt* rt, uint64_t h) { return aster_iroh_finish(rt, h); });
}

Status SendStream::reset(uint64_t code) {
  if (handle_) done_ = true;
  return detail::call_on(
      handle_, "stream", [code](aster_iroh_rt* rt, uint64_t h) { return aster_iroh_reset(rt, h, code); });
}

asio::awaitable<Result<std::optional<uint64_t>>> SendStream::stopped() {
  auto ev = co_await detail::run_on(
      handle_, "stream",
      [](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
        return aster_iroh_stopped(rt, h, ud, op);
      });
  if (!ev) co_return ev.status();
  if (ev->status == ASTER_IROH_OK) co_return std::optional<uint64_t>();
  if (ev->status == ASTER_IROH_STREAM_STOPPED) co_return std::optional<uint64_t>(ev->code);
  co_return detail::status_of(*ev);
}

// ---- RecvStream -----------------------------------------------------------------------------

RecvStream::RecvStream(RecvStream&& other) noexcept
    : handle_(std::move(other.handle_)),
      first_lease_(std::move(other.first_lease_)),
      first_data_(std::exchange(other.first_data_, nullptr)),
      first_size_(std::exchange(other.first_size_, 0)),
      first_pos_(std::exchange(other.first_pos_, 0)),
      first_fin_(std::exchange(other.first_fin_, false)),
      ended_(std::exchange(other.ended_, false)) {}

RecvStream& RecvStream::operator=(RecvStream&& other) noexcept {
  if (this != &other) {
    handle_ = std::move(other.handle_);
    first_lease_ = std::move(other.first_lease_);
    first_data_ = std::exchange(other.first_data_, nullptr);
    first_size_ = std::exchange(other.first_size_, 0);
    first_pos_ = std::exchange(other.first_pos_, 0);
    first_fin_ = std::exchange(other.first_fin_, false);
    ended_ = std::exchange(other.ended_, false);
  }
  return *this;
}

Chunk RecvStream::fin_chunk() {
  Chunk c;
  c.fin_ = true;
  return c;
}

asio::awaitable<Result<Chunk>> RecvStream::receive(size_t max, uint32_t flags) {
  if ((flags & ASTER_IROH_RECV_TO_END) == 0 && max > 0 && (handle_ || ended_)) {
    if (auto first = take_first(max, (flags & ASTER_IROH_RECV_FIN_WITH_DATA) != 0)) {
      co_return std::move(*first);
    }
  }
  if (ended_) co_return fin_chunk();
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  detail::StartedOp op = detail::start_on(
      handle_, "stream", state,
      [max, flags](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                   aster_iroh_event* now) {
        return aster_iroh_recv(rt, h, max, flags, ud, op, now);
      });
  if (op.pending) {
    auto waiting = op.core->wait(*op.pending, {});  // named: see RuntimeCore::run
    BridgeEvent got = co_await std::move(waiting);
    co_return chunk_of(got);
  }
  if (!op.done) co_return op.done.status();
  co_return chunk_of(*op.done);
}

Result<Chunk> RecvStream::chunk_of(const BridgeEvent& ev) const {
  if (ev.status != ASTER_IROH_OK && ev.status != ASTER_IROH_FIN) return detail::status_of(ev);
  Chunk c;
  c.fin_ = ev.status == ASTER_IROH_FIN;
  if (ev.lease != 0) {
    c.lease_ = detail::BridgeHandle(handle_.core(), ev.lease, detail::HandleKind::kLease);
    c.data_ = ev.lease_data;
    c.size_ = ev.lease_len;
  }
  return c;
}

void RecvStream::hold_first(const BridgeEvent& accepted,
                            const std::shared_ptr<detail::RuntimeCore>& core) {
  // An OK event's lease becomes a Chunk as a READ's does; the FIN is in `code` here.
  if (accepted.lease != 0) {
    first_lease_ = detail::BridgeHandle(core, accepted.lease, detail::HandleKind::kLease);
    first_data_ = accepted.lease_data;
    first_size_ = accepted.lease_len;
  }
  first_pos_ = 0;
  first_fin_ = (accepted.code & ASTER_IROH_ACCEPT_FIN) != 0;
}

RecvStream RecvStream::ended_with(const BridgeEvent& accepted,
                                  const std::shared_ptr<detail::RuntimeCore>& core) {
  RecvStream r;
  r.hold_first(accepted, core);
  r.ended_ = true;
  return r;
}

std::optional<Chunk> RecvStream::take_first(size_t max, bool fin_with_data) {
  if (first_data_ == nullptr) {
    if (!first_fin_) return std::nullopt;
    first_fin_ = false;  // noq regards the stream as read to its end: later reads see FIN too
    Chunk fin;
    fin.fin_ = true;
    return fin;
  }
  Chunk c;
  const size_t left = first_size_ - first_pos_;
  const auto taken_all = [this] {
    if (first_lease_) first_lease_.release();  // moved into the chunk when taken whole
    first_data_ = nullptr;
    first_size_ = 0;
  };
  if (first_pos_ == 0 && left <= max) {
    c.lease_ = std::move(first_lease_);  // zero-copy: the whole lease
    c.data_ = first_data_;
    c.size_ = first_size_;
    taken_all();
  } else {
    const size_t n = std::min(left, max);
    const uint8_t* from = first_data_ + first_pos_;
    c.owned_.assign(from, from + n);
    c.data_ = c.owned_.data();
    c.size_ = n;
    first_pos_ += n;
    if (first_pos_ == first_size_) taken_all();
  }
  if (first_data_ == nullptr && first_fin_ && fin_with_data) {
    c.fin_ = true;
    first_fin_ = false;
  }
  return c;
}

asio::awaitable<Result<Chunk>> RecvStream::read_all_after_first(size_t limit) {
  Chunk head = *take_first(SIZE_MAX, true);
  auto too_long = [this, limit] {
    (void)stop(0);  // as the bridge does for its own read-to-end
    return Status(StatusCode::kResourceExhausted,
                  "TOO_LONG: stream longer than " + std::to_string(limit) + " bytes");
  };
  if (head.size() > limit) co_return too_long();
  if (head.fin()) co_return head;
  Result<Chunk> got = co_await receive(limit - head.size(), ASTER_IROH_RECV_TO_END);
  if (!got.is_ok() && got.status().code() == StatusCode::kResourceExhausted) {
    co_return too_long();  // the bridge counted only the rest
  }
  if (!got.is_ok()) co_return got.status();
  Chunk rest = std::move(*got);
  Chunk all;
  all.owned_.reserve(head.size() + rest.size());
  all.owned_.assign(head.bytes().begin(), head.bytes().end());
  all.owned_.insert(all.owned_.end(), rest.bytes().begin(), rest.bytes().end());
  all.data_ = all.owned_.data();
  all.size_ = all.owned_.size();
  all.fin_ = true;
  co_return all;
}

Result<std::optional<Chunk>> RecvStream::try_read_with_fin(size_t max) {
  if (!handle_ && !ended_) return Status(StatusCode::kFailedPrecondition, "stream not valid");
  if (auto first = take_first(max, true)) return first;
  if (ended_) return std::optional<Chunk>(fin_chunk());
  auto core = handle_.core();
  const uint64_t id = handle_.id();
  aster_iroh_op op = 0;
  aster_iroh_event now{};
  const int32_t st = core->with_rt(
      [&](aster_iroh_rt* rt) {
        return aster_iroh_recv(rt, id, max,
                               ASTER_IROH_RECV_FIN_WITH_DATA | ASTER_IROH_RECV_NOWAIT, 0, &op,
                               &now);
      },
      int32_t{ASTER_IROH_CANCELLED});
  if (st != ASTER_IROH_DONE) return detail::status_of_submit(st);
  BridgeEvent ev = core->take(now);
  if (ev.status == ASTER_IROH_BUSY) return std::optional<Chunk>();
  ASTER_ASSIGN_OR_RETURN(Chunk c, chunk_of(ev));
  return std::optional<Chunk>(std::move(c));
}

asio::awaitable<Result<Chunk>> RecvStream::read(size_t max) {
  return receive(max, 0);
}

asio::awaitable<Result<Chunk>> RecvStream::read_with_fin(size_t max) {
  return receive(max, ASTER_IROH_RECV_FIN_WITH_DATA);
}

asio::awaitable<Result<Chunk>> RecvStream::read_all(size_t limit) {
  if (holds_first()) return read_all_after_first(limit);
  return receive(limit, ASTER_IROH_RECV_TO_END);
}

asio::awaitable<Result<std::vector<uint8_t>>> RecvStream::read_to_end(size_t limit) {
  ASTER_CO_ASSIGN_OR_RETURN(Chunk all, co_await read_all(limit));
  co_return std::vector<uint8_t>(all.bytes().begin(), all.bytes().end());
}

std::optional<std::span<const uint8_t>> RecvStream::whole() const {
  if (!first_fin_ || first_pos_ != 0) return std::nullopt;
  if (first_data_ == nullptr) return std::span<const uint8_t>();
  return std::span<const uint8_t>(first_data_, first_size_);
}

std::optional<Chunk> RecvStream::take_whole() {
  if (!whole()) return std::nullopt;
  return take_first(SIZE_MAX, true);
}

Status RecvStream::stop(uint64_t code) {
  if (ended_) return Status::ok();  // read to its end: nothing to stop
  return detail::call_on(
      handle_, "stream", [code](aster_iroh_rt* rt, uint64_t h) { return aster_iroh_stop(rt, h, code); });
}

}  // namespace aster::transport
