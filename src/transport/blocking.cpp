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
    // One thread for Asio and the bridge's tokio runtime: Asio's handlers run inside the
    // bridge runtime (Runtime::drive), which sleeps there (network or a queued event wakes
    // it) when Asio had nothing to do. The destructor first leaves the drive, so the
    // runtime's shutdown and its CANCELLED completions run in the plain Asio loop after it.
    b->thread_ = std::thread([self = b.get()] {
      (void)self->runtime_->drive([self]() -> long {
        if (self->io_.stopped()) return -1;
        const size_t ran = self->io_.poll();
        return self->leave_drive_ ? -1 : static_cast<long>(ran);
      });
      self->drive_left_.set_value();
      self->io_.run();
    });
  } else {
    b->thread_ = std::thread([io = &b->io_] { io->run(); });
  }
  return b;
}

BlockingRuntime::~BlockingRuntime() {
  if (thread_.joinable()) {
    if (runtime_ && runtime_->shape() == Runtime::Shape::kSharedThread) {
      asio::post(io_, [this] { leave_drive_ = true; });
      runtime_->wake();
      drive_left_.get_future().wait();
    }
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
