// Shared helpers for the transport tests: loopback endpoints and a coroutine "latch".
#pragma once

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

#include "aster/transport/blocking.hpp"
#include "aster/transport/endpoint.hpp"

namespace aster::transport::testing {

// Loopback only: 127.0.0.1:0, relays/portmapper/address lookup off (docs/architecture.md "Test setup").
inline EndpointConfig loopback(std::vector<std::string> alpns, uint32_t max_bidi = 0) {
  EndpointConfig c;
  c.alpns = std::move(alpns);
  c.bind_v4 = "127.0.0.1:0";
  c.relay_mode = RelayMode::kDisabled;
  c.max_bidi_streams = max_bidi;
  return c;
}

inline EndpointAddr address_of(const Endpoint& ep) {
  auto a = ep.address();
  return a ? *a : EndpointAddr{};
}

// Counts down to zero, then wakes the coroutine waiting in wait().
class Latch {
 public:
  Latch(asio::any_io_executor ex, size_t count)
      : timer_(ex, asio::steady_timer::time_point::max()), count_(count) {}
  void count_down() {
    if (count_ > 0 && --count_ == 0) timer_.cancel();
  }
  asio::awaitable<void> wait() {
    std::error_code ec;
    while (count_ > 0) co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  size_t remaining() const { return count_; }

 private:
  asio::steady_timer timer_;
  size_t count_;
};

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  std::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Resident set size of this process in KiB (Linux /proc/self/status VmRSS).
inline long vm_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace aster::transport::testing
