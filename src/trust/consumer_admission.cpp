#include "aster/trust/consumer_admission.hpp"

#include "aster/hex.hpp"

#include <algorithm>
#include <random>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "aster/transport/deadline.hpp"

namespace aster::trust {
namespace {

using std::chrono::milliseconds;

std::string short_id(const transport::EndpointAddr& producer) {
  return ::aster::short_id(producer.id.to_hex());
}

// One attempt: the reply, or why there is none. `closed_before_reply` marks the 0.1.2 race
// (connection closed with code 0 before the reply's FIN), the one case retried. `reply_bytes`
// says how much of the reply got through first: often nothing, but against a busy 0.1.2
// producer also a cut-off prefix (QUIC drops unread stream data when the connection closes).
struct Attempt {
  Result<ConsumerAdmissionResponse> response;
  bool closed_before_reply = false;
  size_t reply_bytes = 0;
};

asio::awaitable<Attempt> attempt_admission(transport::Endpoint& endpoint,
                                           const transport::EndpointAddr& producer,
                                           const ConsumerAdmissionRequest& request,
                                           milliseconds connect_timeout,
                                           const ConsumerAdmissionOptions& options) {
  auto connection =
      co_await endpoint.connect(producer, std::string(kConsumerAdmissionAlpn), connect_timeout);
  if (!connection) {
    co_return Attempt{Status(StatusCode::kUnavailable, "cannot reach producer " +
                                                           short_id(producer) + ": " +
                                                           connection.status().message())};
  }
  auto stream = co_await connection->open_bi();
  if (!stream) {
    co_return Attempt{Status(StatusCode::kUnavailable, "admission stream to " +
                                                           short_id(producer) + " failed: " +
                                                           stream.status().message())};
  }
  const std::string body = request.to_json();
  // No framing, no StreamHeader: raw JSON, then FIN (the producer reads to end).
  auto written = co_await stream->send.write(
      std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  if (written.is_ok()) written = stream->send.finish();
  if (!written.is_ok()) {
    co_return Attempt{Status(StatusCode::kUnavailable,
                             "sending the admission request failed: " + written.message())};
  }
  // Read chunk by chunk (not read_to_end) to know whether any reply byte arrived.
  std::string reply;
  while (true) {
    auto chunk = co_await stream->recv.read();
    if (!chunk) {
      Attempt failed{Status(StatusCode::kUnavailable, "reading the admission reply failed: " +
                                                          chunk.status().message())};
      if (chunk.status().code() == StatusCode::kUnavailable) {
        // The connection is gone, so closed() completes at once; bounded all the same.
        auto closed = co_await transport::with_deadline(connection->closed(), milliseconds(1000));
        failed.closed_before_reply = !closed.deadline_exceeded &&
                                     closed.value.kind == transport::CloseKind::kApplication &&
                                     closed.value.code == 0;
        failed.reply_bytes = reply.size();
      }
      co_return failed;
    }
    if (chunk->fin()) break;
    if (reply.size() + chunk->size() > kMaxAdmissionMessage) {
      co_return Attempt{Status(StatusCode::kInvalidArgument,
                               "admission reply from " + short_id(producer) +
                                   " is larger than 64 KiB")};
    }
    reply.append(reinterpret_cast<const char*>(chunk->bytes().data()), chunk->size());
  }
  if (options.on_reply) options.on_reply(*connection);
  if (reply.empty()) {
    // 0.1.2 producers answer nothing on internal errors (e.g. an unknown IID provider).
    co_return Attempt{Status(StatusCode::kUnavailable,
                             "producer " + short_id(producer) + " closed admission without a reply")};
  }
  co_return Attempt{ConsumerAdmissionResponse::from_json(reply)};
}

asio::awaitable<Result<ConsumerAdmissionResponse>> admit_with_retries(
    transport::Endpoint& endpoint, const transport::EndpointAddr& producer,
    const ConsumerAdmissionRequest& request, const ConsumerAdmissionOptions& options,
    milliseconds timeout) {
  const int max_attempts = std::max(1, options.retry.max_attempts);
  milliseconds backoff = std::max(milliseconds(1), options.retry.first_backoff);
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    // The connect's own timeout must not beat the overall deadline to it: that deadline (in
    // request_consumer_admission) is what reports "timed out" and cancels whatever is pending.
    Attempt outcome =
        co_await attempt_admission(endpoint, producer, request, timeout + milliseconds(1000),
                                   options);
    if (!outcome.closed_before_reply) co_return std::move(outcome.response);
    if (attempt >= max_attempts) {
      co_return Status(StatusCode::kUnavailable,
                       outcome.response.status().message() + " (producer " + short_id(producer) +
                           " closed the connection before its reply was complete, " +
                           std::to_string(attempt) + " attempts)");
    }
    // Jitter spreads many consumers that lost the race together (×0.5 … ×1.5).
    const auto delay = milliseconds(std::uniform_int_distribution<int64_t>(
        backoff.count() / 2, backoff.count() + backoff.count() / 2)(jitter));
    if (options.debug) {
      options.debug("admission attempt " + std::to_string(attempt) + " of " +
                    std::to_string(max_attempts) + ": producer " + short_id(producer) +
                    " closed the connection (code 0) before its reply was complete (" +
                    std::to_string(outcome.reply_bytes) + " bytes arrived); retrying in " +
                    std::to_string(delay.count()) + " ms");
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Status(StatusCode::kCancelled, "admission cancelled");
    backoff = std::min(backoff * 2, std::max(backoff, options.retry.max_backoff));
  }
}

}  // namespace

asio::awaitable<Result<ConsumerAdmissionResponse>> request_consumer_admission(
    transport::Endpoint& endpoint, const transport::EndpointAddr& producer,
    const ConsumerAdmissionRequest& request, const ConsumerAdmissionOptions& options) {
  // Saturate: a deadline must stay representable as a steady_clock time point.
  const milliseconds timeout =
      std::clamp(options.timeout, milliseconds(1), milliseconds(std::chrono::hours(24)));
  // One deadline over the whole exchange; when it fires, the pending bridge op is cancelled.
  auto outcome = co_await transport::with_deadline(
      admit_with_retries(endpoint, producer, request, options, timeout), timeout);
  if (!outcome.deadline_exceeded) co_return std::move(outcome.value);
  co_return Status(StatusCode::kDeadlineExceeded,
                   "timed out after " + std::to_string(timeout.count()) +
                       " ms waiting for producer " + short_id(producer) +
                       " (unreachable, or no admission reply)");
}

}  // namespace aster::trust
