// Stream halves over the bridge's per-stream actors (§4.5).
#include "aster/transport/stream.hpp"

#include <asio/use_awaitable.hpp>

#include "runtime_core.hpp"

namespace aster::transport {

using detail::BridgeEvent;
using detail::RuntimeCore;

// ---- Chunk ----------------------------------------------------------------------------------

Chunk::Chunk(Chunk&& other) noexcept
    : core_(std::move(other.core_)),
      lease_(std::exchange(other.lease_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fin_(other.fin_) {}
Chunk& Chunk::operator=(Chunk&& other) noexcept {
  if (this != &other) {
    this->~Chunk();
    core_ = std::move(other.core_);
    lease_ = std::exchange(other.lease_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fin_ = other.fin_;
  }
  return *this;
}
Chunk::~Chunk() {
  if (core_ && lease_) core_->release_lease(lease_);
  lease_ = 0;
}

// ---- SendStream -----------------------------------------------------------------------------

SendStream::SendStream(std::shared_ptr<RuntimeCore> core, uint64_t handle)
    : core_(std::move(core)), handle_(handle) {}
SendStream::SendStream(SendStream&& other) noexcept
    : core_(std::move(other.core_)), handle_(std::exchange(other.handle_, 0)), done_(other.done_) {}
SendStream& SendStream::operator=(SendStream&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    handle_ = std::exchange(other.handle_, 0);
    done_ = other.done_;
  }
  return *this;
}
SendStream::~SendStream() {
  release();
}

void SendStream::release() {
  if (core_ && handle_) {
    uint64_t h = handle_;
    bool reset = !done_;
    core_->with_rt(
        [&](aster_iroh_rt* rt) {
          // Not finished: reset, or noq's drop would FIN a truncated request (§3.4).
          if (reset) aster_iroh_reset(rt, h, kResetOnDestroy);
          return aster_iroh_send_free(rt, h);
        },
        int32_t{0});
  }
  handle_ = 0;
}

asio::awaitable<Status> SendStream::write(std::span<const uint8_t> data) {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "stream not valid");
  BridgeEvent ev = co_await core->async_op(
      [h, data](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_write(rt, h, data.data(), data.size(), ud, op);
      },
      asio::use_awaitable);
  co_return detail::status_of(ev);
}

Status SendStream::finish() {
  if (!core_ || !handle_) return Status(StatusCode::kFailedPrecondition, "stream not valid");
  done_ = true;
  uint64_t h = handle_;
  return detail::status_of_submit(core_->with_rt(
      [&](aster_iroh_rt* rt) { return aster_iroh_finish(rt, h); }, int32_t{ASTER_IROH_CANCELLED}));
}

Status SendStream::reset(uint64_t code) {
  if (!core_ || !handle_) return Status(StatusCode::kFailedPrecondition, "stream not valid");
  done_ = true;
  uint64_t h = handle_;
  return detail::status_of_submit(
      core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_reset(rt, h, code); },
                     int32_t{ASTER_IROH_CANCELLED}));
}

asio::awaitable<Result<std::optional<uint64_t>>> SendStream::stopped() {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "stream not valid");
  BridgeEvent ev =
      co_await core->async_op([h](aster_iroh_rt* rt, uint64_t ud,
                                  aster_iroh_op* op) { return aster_iroh_stopped(rt, h, ud, op); },
                              asio::use_awaitable);
  if (ev.status == ASTER_IROH_OK) co_return std::optional<uint64_t>();
  if (ev.status == ASTER_IROH_STREAM_STOPPED) co_return std::optional<uint64_t>(ev.code);
  co_return detail::status_of(ev);
}

// ---- RecvStream -----------------------------------------------------------------------------

RecvStream::RecvStream(std::shared_ptr<RuntimeCore> core, uint64_t handle)
    : core_(std::move(core)), handle_(handle) {}
RecvStream::RecvStream(RecvStream&& other) noexcept
    : core_(std::move(other.core_)), handle_(std::exchange(other.handle_, 0)) {}
RecvStream& RecvStream::operator=(RecvStream&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}
RecvStream::~RecvStream() {
  release();
}

void RecvStream::release() {
  if (core_ && handle_) {
    uint64_t h = handle_;
    core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_recv_free(rt, h); }, int32_t{0});
  }
  handle_ = 0;
}

asio::awaitable<Result<Chunk>> RecvStream::read(size_t max) {
  auto core = core_;
  uint64_t h = handle_;
  if (!core || !h) co_return Status(StatusCode::kFailedPrecondition, "stream not valid");
  BridgeEvent ev = co_await core->async_op(
      [h, max](aster_iroh_rt* rt, uint64_t ud, aster_iroh_op* op) {
        return aster_iroh_read(rt, h, max, ud, op);
      },
      asio::use_awaitable);
  Chunk c;
  if (ev.status == ASTER_IROH_FIN) {
    c.fin_ = true;
    co_return c;
  }
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  c.core_ = core;
  c.lease_ = ev.lease;
  c.data_ = ev.lease_data;
  c.size_ = ev.lease_len;
  co_return c;
}

asio::awaitable<Result<std::vector<uint8_t>>> RecvStream::read_to_end(size_t limit) {
  std::vector<uint8_t> out;
  for (;;) {
    Result<Chunk> r = co_await read();
    if (!r) co_return r.status();
    if (r->fin()) co_return out;
    if (out.size() + r->size() > limit) {
      co_return Status(StatusCode::kResourceExhausted,
                       "stream longer than " + std::to_string(limit) + " bytes");
    }
    out.insert(out.end(), r->bytes().begin(), r->bytes().end());
  }
}

Status RecvStream::stop(uint64_t code) {
  if (!core_ || !handle_) return Status(StatusCode::kFailedPrecondition, "stream not valid");
  uint64_t h = handle_;
  return detail::status_of_submit(
      core_->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_stop(rt, h, code); },
                     int32_t{ASTER_IROH_CANCELLED}));
}

}  // namespace aster::transport
