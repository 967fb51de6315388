#include "aster/transport/blocking.hpp"

#include <future>

namespace aster::transport {

Result<std::unique_ptr<BlockingRuntime>> BlockingRuntime::create(Runtime::Options options) {
  std::unique_ptr<BlockingRuntime> b(new BlockingRuntime());
  auto rt = Runtime::create(b->io_, options);
  if (!rt) return rt.status();
  b->runtime_.emplace(std::move(rt).value());
  b->work_.emplace(asio::make_work_guard(b->io_));
  if (b->runtime_->shape() == Runtime::Shape::kSharedThread) {
    // One thread for Asio and the bridge's tokio runtime: alternate between them, sleeping
    // in the bridge (network or a queued event wakes it) when Asio had nothing to do.
    b->thread_ = std::thread([self = b.get()] {
      while (!self->io_.stopped()) {
        const size_t ran = self->io_.poll();
        if (!self->runtime_) {  // shut down (destructor): finish what is queued, plain Asio
          self->io_.run();
          break;
        }
        (void)self->runtime_->turn(ran ? std::chrono::microseconds(0) : Runtime::kTurnWait);
      }
    });
  } else {
    b->thread_ = std::thread([io = &b->io_] { io->run(); });
  }
  return b;
}

BlockingRuntime::~BlockingRuntime() {
  if (thread_.joinable()) {
    // The dispatcher state belongs to the io thread: shut the runtime down there.
    std::promise<void> done;
    asio::post(io_, [this, &done] {
      runtime_.reset();
      done.set_value();
    });
    done.get_future().wait();
    // Let the CANCELLED completions queued by the shutdown run (FIFO), then stop: detached
    // coroutines still waiting on timers must not keep the thread alive.
    work_.reset();
    asio::post(io_, [this] { io_.stop(); });
    thread_.join();
  }
}

}  // namespace aster::transport
