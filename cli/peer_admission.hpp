// One consumer admission from a command: what used to be trust::blocking_consumer_admission.
// The tool owns the process, so it is the one that makes a runtime and an ephemeral endpoint,
// and reads ASTER_RELAY_MODE (transport::apply_relay_mode_from_env); src/trust only runs the
// exchange over the endpoint it is given.
#pragma once

#include "aster/status.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "aster/trust/consumer_admission.hpp"

namespace aster::cli {

// Blocks until the exchange ends (options.timeout bounds it, retries included).
Result<trust::ConsumerAdmissionResponse> admit_to_producer(
    const transport::EndpointAddr& producer, const trust::ConsumerAdmissionRequest& request,
    const trust::ConsumerAdmissionOptions& options);

}  // namespace aster::cli
