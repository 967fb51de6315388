// Private: the bridge runtime plus the EventDispatcher that turns completion-queue events into
// Asio completions (shared/reference/iroh-transport.md §§4.1-4.3;
// asio example cpp20/operations/c_callback_wrapper.cpp for the hop from C to a handler).
#pragma once

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "aster/status.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster_iroh.h"

namespace aster::transport::detail {

// One terminal bridge event, copied out of the queue. READ payloads stay leased (zero copy);
// every other payload (messages, ids, close reasons) is copied and released at once.
struct BridgeEvent {
  uint32_t kind = 0;
  int32_t status = ASTER_IROH_OK;
  uint64_t h1 = 0, h2 = 0, code = 0;
  std::string payload;
  uint64_t lease = 0;
  const uint8_t* lease_data = nullptr;
  size_t lease_len = 0;
};

// Maps a failed event onto aster::Status; the message keeps the bridge status name and code,
// e.g. "CONN_APP_CLOSED(403): not admitted".
Status status_of(const BridgeEvent& ev);
Status status_of_submit(int32_t st);
std::string hex(const uint8_t* data, size_t len);

class RuntimeCore : public std::enable_shared_from_this<RuntimeCore> {
 public:
  RuntimeCore(asio::io_context& io, aster_iroh_rt* rt);
  ~RuntimeCore();

  asio::io_context::executor_type executor() const { return executor_; }

  // Runs `f(rt)` under the shared lock; returns `otherwise` after shutdown. Destructors of
  // handles may run on any thread, so every bridge call goes through here.
  template <typename F>
  auto with_rt(F&& f, decltype(f(nullptr)) otherwise) -> decltype(f(nullptr)) {
    std::shared_lock lock(mu_);
    if (!rt_) return otherwise;
    return f(rt_);
  }

  void start();
  void shutdown(std::chrono::milliseconds timeout);
  void release_lease(uint64_t lease);

  void set_gate(uint64_t endpoint, GateFunction gate);
  void clear_gate(uint64_t endpoint);

  // Starts a bridge operation: `submit(rt, user_data, &op)` returns the submit status, and the
  // handler gets the one terminal BridgeEvent. Must be called on the io thread.
  template <typename Submit, typename Token>
  auto async_op(Submit submit, Token&& token) {
    return asio::async_initiate<Token, void(BridgeEvent)>(
        [self = shared_from_this()](auto handler, Submit submit) mutable {
          self->initiate(std::move(handler), std::move(submit));
        },
        token, std::move(submit));
  }

 private:
  struct PendingOp {
    virtual ~PendingOp() = default;
    virtual void complete(BridgeEvent ev) = 0;
  };

  template <typename Handler>
  struct PendingOpImpl final : PendingOp {
    PendingOpImpl(Handler h, asio::io_context::executor_type ex)
        : handler(std::move(h)), fallback(ex) {}
    void complete(BridgeEvent ev) override {
      auto slot = asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) slot.clear();
      auto ex = asio::get_associated_executor(handler, fallback);
      // Post rather than call inline: the dispatcher is mid-drain, and the resumed coroutine
      // may submit or destroy things.
      asio::post(ex, [h = std::move(handler), ev = std::move(ev)]() mutable {
        std::move(h)(std::move(ev));
      });
    }
    Handler handler;
    asio::io_context::executor_type fallback;
  };

  template <typename Handler, typename Submit>
  void initiate(Handler handler, Submit submit) {
    auto op = std::make_unique<PendingOpImpl<Handler>>(std::move(handler), executor_);
    uint64_t user_data = next_user_data_++;
    aster_iroh_op op_id = 0;
    int32_t st = with_rt([&](aster_iroh_rt* rt) { return submit(rt, user_data, &op_id); },
                         int32_t{ASTER_IROH_CANCELLED});
    if (st != ASTER_IROH_OK) {
      BridgeEvent ev;
      ev.status = st;
      ev.payload = st == ASTER_IROH_CANCELLED ? "runtime shut down" : "submit rejected";
      op->complete(std::move(ev));
      return;
    }
    auto slot = asio::get_associated_cancellation_slot(op->handler);
    if (slot.is_connected()) {
      // Asio cancellation → aster_iroh_cancel: the bridge then emits the single CANCELLED
      // event (or NOT_FOUND if the op already completed, whose event is on its way).
      slot.assign([weak = weak_from_this(), op_id](asio::cancellation_type) {
        if (auto self = weak.lock()) {
          self->with_rt([&](aster_iroh_rt* rt) { return aster_iroh_cancel(rt, op_id); },
                        int32_t{0});
        }
      });
    }
    pending_.emplace(user_data, std::move(op));
  }

  void wait_readable();
  void drain();
  void dispatch(const aster_iroh_event& e);
  void answer_hook(const aster_iroh_event& e);

  asio::io_context::executor_type executor_;
  asio::posix::stream_descriptor fd_;
  std::shared_mutex mu_;
  aster_iroh_rt* rt_;
  uint64_t next_user_data_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<PendingOp>> pending_;
  std::unordered_map<uint64_t, GateFunction> gates_;
};

}  // namespace aster::transport::detail
