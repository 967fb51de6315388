// The consumer side of admission (aster-rpc@0972ac9:bindings/python/aster/trust/consumer.py):
// dial the producer on ALPN `aster.consumer_admission`, open one bidi stream, write the JSON
// request, FIN, read the JSON reply to its FIN (≤ 64 KiB). A fresh connection per attempt, as
// 0.1.2 does on every connect(); we never close it explicitly.
//
// Only the exchange lives here, over an endpoint the caller owns. Making a runtime and an
// endpoint for one admission (and reading ASTER_RELAY_MODE for it) is the caller's business:
// the CLI does it in cli/peer_admission.cpp.
#pragma once

#include <chrono>
#include <functional>
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

// A 0.1.2 producer finishes the reply stream and returns from its handler; dropping its last
// connection handle closes the connection with code 0, and that close can overtake the reply
// still in flight (end of `handle_consumer_admission_connection` in consumer.py above). The
// consumer then sees CONN_APP_CLOSED(0) before the reply's FIN: usually before any reply byte,
// under load also after a cut-off prefix (QUIC discards stream data not yet read when the
// connection closes). Only that case is retried — code 0, reply incomplete — on a fresh
// connection after a jittered exponential back-off, all inside the one timeout. A complete
// reply, an empty one (FIN without bytes) or any other close is never retried.
struct AdmissionRetryPolicy {
  // The first try included; 1 = never retry. The timeout is the real bound: under a burst of
  // 200 parallel admissions a 0.1.2 producer loses more than half of its replies, and 8
  // attempts were seen to run out (3 of 200 runs) while 32 leave ~1e-7.
  int max_attempts = 32;
  std::chrono::milliseconds first_backoff{40};
  std::chrono::milliseconds max_backoff{1000};
};

struct ConsumerAdmissionOptions {
  // Bounds the whole exchange, retries included. Clamped to [1 ms, 24 h].
  std::chrono::milliseconds timeout{10'000};
  AdmissionRetryPolicy retry;
  // Debug-level notes (one line each, e.g. "retrying in 75 ms"); may be empty.
  std::function<void(std::string_view)> debug;
  // Called once with the connection the reply came on, before the exchange lets it go: e.g. to
  // read its network path (`aster service ls -v`, aster::Client::connection_path()). May be empty.
  std::function<void(const transport::Connection&)> on_reply;
};

// Runs the exchange. A denial is a successful Result with admitted == false; errors are
// kUnavailable (unreachable, connection lost, no reply), kDeadlineExceeded (the timeout covers
// the whole exchange) or kInvalidArgument (malformed reply, naming the field).
asio::awaitable<Result<ConsumerAdmissionResponse>> request_consumer_admission(
    transport::Endpoint& endpoint, const transport::EndpointAddr& producer,
    const ConsumerAdmissionRequest& request, const ConsumerAdmissionOptions& options);

}  // namespace aster::trust
