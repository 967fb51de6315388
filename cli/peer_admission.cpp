#include "peer_admission.hpp"

#include "aster/transport/blocking.hpp"

namespace aster::cli {

Result<trust::ConsumerAdmissionResponse> admit_to_producer(
    const transport::EndpointAddr& producer, const trust::ConsumerAdmissionRequest& request,
    const trust::ConsumerAdmissionOptions& options) {
  ASTER_ASSIGN_OR_RETURN(auto runtime, transport::BlockingRuntime::create());
  auto& blocking = *runtime;
  return blocking.run([&]() -> asio::awaitable<Result<trust::ConsumerAdmissionResponse>> {
    transport::EndpointConfig config;
    ASTER_CO_RETURN_IF_ERROR(transport::apply_relay_mode_from_env(config));
    ASTER_CO_ASSIGN_OR_RETURN(auto endpoint,
                              co_await blocking.runtime().create_endpoint(std::move(config)));
    co_return co_await trust::request_consumer_admission(endpoint, producer, request, options);
  }());
}

}  // namespace aster::cli
