#include "aster/trust/consumer_admission.hpp"


#include "aster/transport/blocking.hpp"
#include "aster/transport/deadline.hpp"

namespace aster::trust {
namespace {

std::string short_id(const transport::EndpointAddr& producer) {
  return producer.id.to_hex().substr(0, 16) + "…";
}

asio::awaitable<Result<ConsumerAdmissionResponse>> exchange(
    transport::Endpoint& endpoint, const transport::EndpointAddr& producer,
    const ConsumerAdmissionRequest& request, std::chrono::milliseconds connect_timeout) {
  auto connection =
      co_await endpoint.connect(producer, std::string(kConsumerAdmissionAlpn), connect_timeout);
  if (!connection) {
    co_return Status(StatusCode::kUnavailable, "cannot reach producer " + short_id(producer) +
                                                   ": " + connection.status().message());
  }
  auto stream = co_await connection->open_bi();
  if (!stream) {
    co_return Status(StatusCode::kUnavailable,
                     "admission stream to " + short_id(producer) + " failed: " +
                         stream.status().message());
  }
  const std::string body = request.to_json();
  // No framing, no StreamHeader: raw JSON, then FIN (the producer reads to end).
  auto written = co_await stream->send.write(
      std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  if (written.is_ok()) written = stream->send.finish();
  if (!written.is_ok()) {
    co_return Status(StatusCode::kUnavailable,
                     "sending the admission request failed: " + written.message());
  }
  auto reply = co_await stream->recv.read_to_end(kMaxAdmissionMessage);
  if (!reply) {
    co_return Status(reply.status().code() == StatusCode::kResourceExhausted
                         ? StatusCode::kInvalidArgument
                         : StatusCode::kUnavailable,
                     "reading the admission reply failed: " + reply.status().message());
  }
  if (reply->empty()) {
    // 0.1.2 producers answer nothing on internal errors (e.g. an unknown IID provider).
    co_return Status(StatusCode::kUnavailable,
                     "producer " + short_id(producer) + " closed admission without a reply");
  }
  co_return ConsumerAdmissionResponse::from_json(
      std::string_view(reinterpret_cast<const char*>(reply->data()), reply->size()));
}

}  // namespace

asio::awaitable<Result<ConsumerAdmissionResponse>> request_consumer_admission(
    transport::Endpoint& endpoint, const transport::EndpointAddr& producer,
    const ConsumerAdmissionRequest& request, std::chrono::milliseconds timeout) {
  // One deadline over the whole exchange; when it fires, the pending bridge op is cancelled.
  auto outcome =
      co_await transport::with_deadline(exchange(endpoint, producer, request, timeout), timeout);
  if (!outcome.deadline_exceeded) co_return std::move(outcome.value);
  co_return Status(StatusCode::kDeadlineExceeded,
                   "timed out after " + std::to_string(timeout.count()) + " ms waiting for producer " +
                       short_id(producer) + " (unreachable, or no admission reply)");
}

Result<ConsumerAdmissionResponse> blocking_consumer_admission(
    const transport::EndpointAddr& producer, const ConsumerAdmissionRequest& request,
    std::chrono::milliseconds timeout) {
  auto runtime = transport::BlockingRuntime::create();
  if (!runtime) return runtime.status();
  auto& blocking = **runtime;
  return blocking.run([&]() -> asio::awaitable<Result<ConsumerAdmissionResponse>> {
    transport::EndpointConfig config;
    transport::apply_relay_mode_from_env(config);
    auto endpoint = co_await blocking.runtime().create_endpoint(std::move(config));
    if (!endpoint) co_return endpoint.status();
    co_return co_await request_consumer_admission(*endpoint, producer, request, timeout);
  }());
}

}  // namespace aster::trust
