#include "deadline_rule.hpp"

#include <algorithm>
#include <string>

#include "aster/rpc/dispatcher.hpp"

namespace aster::rpc {

Status expired_deadline(int64_t deadline_epoch_ms) {
  if (deadline_epoch_ms == 0) return Status::ok();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (now > deadline_epoch_ms + 5000) {
    return Status(StatusCode::kDeadlineExceeded,
                  "deadline already expired on receipt (now=" + std::to_string(now) +
                      ", deadline=" + std::to_string(deadline_epoch_ms) +
                      ", skew_tolerance=5000ms)");
  }
  if (now >= deadline_epoch_ms) return Status(StatusCode::kDeadlineExceeded, "deadline exceeded");
  return Status::ok();
}

std::chrono::milliseconds handler_budget(const CallContext& ctx) {
  if (!ctx.deadline) return kMaxHandlerTimeout;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *ctx.deadline - std::chrono::system_clock::now());
  if (left < std::chrono::milliseconds(0)) left = std::chrono::milliseconds(0);
  return std::min<std::chrono::milliseconds>(left, kMaxHandlerTimeout);
}

}  // namespace aster::rpc
