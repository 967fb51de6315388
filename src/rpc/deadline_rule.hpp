// 0.1.2's deadline rules for a call, shared by stateless calls (dispatcher.cpp) and calls in a
// session (session_server.cpp): the default DeadlineInterceptor check on receipt
// (aster-rpc@0972ac9:bindings/python/aster/interceptors/deadline.py) and the handler budget
// (server.py `_handler_timeout`, session.py `_get_deadline_timeout`).
#pragma once

#include <chrono>
#include <cstdint>

#include "aster/rpc/call_context.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

// DEADLINE_EXCEEDED when `deadline_epoch_ms` (0 = none) has passed: the 5 s "skew" message
// first, then "deadline exceeded" for any deadline at or before now.
Status expired_deadline(int64_t deadline_epoch_ms);

// min(time left, 300 s); 300 s without a deadline.
std::chrono::milliseconds handler_budget(const CallContext& ctx);

}  // namespace aster::rpc
