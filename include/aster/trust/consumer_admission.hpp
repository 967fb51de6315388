// The consumer side of admission (shared/reference/trust-and-admission.md §1): dial the
// producer on ALPN `aster.consumer_admission`, open one bidi stream, write the JSON request,
// FIN, read the JSON reply to its FIN (≤ 64 KiB). A fresh connection per admission, as 0.1.2
// does on every connect(); neither side closes it explicitly.
#pragma once

#include <chrono>
#include <string_view>

#include <asio/awaitable.hpp>

#include "aster/status.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "aster/trust/admission_messages.hpp"

namespace aster::trust {

inline constexpr std::string_view kConsumerAdmissionAlpn = "aster.consumer_admission";
// The producer reads at most this much (`read_to_end(64 KiB)`); we allow the same for replies.
inline constexpr size_t kMaxAdmissionMessage = 64 * 1024;

// Runs the exchange. A denial is a successful Result with admitted == false; errors are
// kUnavailable (unreachable, connection lost, no reply), kDeadlineExceeded (timeout covers the
// whole exchange) or kInvalidArgument (malformed reply, naming the field).
asio::awaitable<Result<ConsumerAdmissionResponse>> request_consumer_admission(
    transport::Endpoint& endpoint, const transport::EndpointAddr& producer,
    const ConsumerAdmissionRequest& request, std::chrono::milliseconds timeout);

// For the CLI and scripts: a blocking runtime, an ephemeral endpoint (relay mode from
// ASTER_RELAY_MODE: disabled | default | staging | custom URL; default: default), one exchange.
Result<ConsumerAdmissionResponse> blocking_consumer_admission(
    const transport::EndpointAddr& producer, const ConsumerAdmissionRequest& request,
    std::chrono::milliseconds timeout);

}  // namespace aster::trust
