// The producer side of consumer admission with a root key (closed gate) over one stream: the
// decision is trust/credential_admission.hpp; this reads the request and writes the reply as
// 0.1.2 does (aster-rpc@0972ac9:bindings/python/aster/trust/consumer.py
// `handle_consumer_admission_connection`).
#pragma once

#include <asio/awaitable.hpp>
#include <functional>
#include <string>

#include "aster/transport/byte_stream.hpp"
#include "aster/trust/credential_admission.hpp"

namespace aster::trust {

// Reads the request to its FIN (≤ 64 KiB), answers as answer_closed_gate, calls `on_admit`
// before writing an admission (so the consumer's next dial passes gate 0), and finishes.
asio::awaitable<void> serve_closed_gate_admission(
    transport::ByteStream& stream, const OpenGateOffer& offer, const PublicKey& root,
    std::string peer_endpoint_id, NonceStore& nonces,
    std::function<void(const CredentialCheck&)> on_admit);

}  // namespace aster::trust
