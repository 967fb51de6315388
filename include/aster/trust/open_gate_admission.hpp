// The producer side of consumer admission in dev mode (open gate), as a 0.1.2 AsterServer
// without a root key answers on ALPN `aster.consumer_admission`
// (aster-rpc@0972ac9:bindings/python/aster/trust/consumer.py
// `handle_consumer_admission_connection`, runtime.py `AsterServer.__init__`): the handshake
// still runs because it is how consumers discover the services. An empty credential is
// admitted with attributes {}; a non-empty one cannot verify against the producer's ephemeral
// root and is denied; malformed JSON is denied; an empty or oversize request gets no reply.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aster/transport/byte_stream.hpp"
#include "aster/trust/admission_messages.hpp"

namespace aster::trust {

// The reply to `request` (the raw bytes the consumer sent), or nullopt when 0.1.2 sends none.
std::optional<ConsumerAdmissionResponse> answer_open_gate(std::string_view request,
                                                          const OpenGateOffer& offer);

// Reads the request to its FIN (≤ 64 KiB), writes the reply and finishes.
asio::awaitable<void> serve_open_gate_admission(transport::ByteStream& stream,
                                                const OpenGateOffer& offer);

}  // namespace aster::trust
