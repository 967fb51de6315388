#include "aster/trust/closed_gate_admission.hpp"

#include <ctime>

#include "aster/trust/consumer_admission.hpp"

namespace aster::trust {

asio::awaitable<void> serve_closed_gate_admission(
    transport::ByteStream& stream, const OpenGateOffer& offer, const PublicKey& root,
    std::string peer_endpoint_id, NonceStore& nonces,
    std::function<void(const CredentialCheck&)> on_admit) {
  auto request = co_await stream.read_to_end(kMaxAdmissionMessage);
  if (!request.is_ok()) {
    (void)stream.reset(0);
    co_return;
  }
  CredentialCheck check;
  auto reply = answer_closed_gate(
      std::string_view(reinterpret_cast<const char*>(request->data()), request->size()), offer,
      root, peer_endpoint_id, nonces, std::time(nullptr), &check);
  if (!reply) {
    (void)co_await stream.finish();
    co_return;
  }
  if (check.admitted && on_admit) on_admit(check);
  const std::string body = reply->to_json();
  (void)co_await stream.write_and_finish(
      std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

}  // namespace aster::trust
