#include "aster/trust/open_gate_admission.hpp"

#include <algorithm>

#include "aster/trust/consumer_admission.hpp"

namespace aster::trust {

std::optional<ConsumerAdmissionResponse> answer_open_gate(std::string_view request,
                                                          const OpenGateOffer& offer) {
  if (request.empty()) return std::nullopt;
  ConsumerAdmissionResponse reply;
  reply.root_pubkey = offer.root_pubkey;
  auto parsed = ConsumerAdmissionRequest::from_json(request);
  if (!parsed.is_ok() || !parsed->credential_json.empty()) return reply;  // denial
  reply.admitted = true;
  // Copy-constructed, not assigned: ServiceSummary::channels (nlohmann::ordered_map) has no
  // copy assignment.
  const size_t n = std::min(offer.services.size(), ConsumerAdmissionResponse::kMaxServices);
  reply.services = std::vector<ServiceSummary>(offer.services.begin(),
                                               offer.services.begin() + static_cast<std::ptrdiff_t>(n));
  reply.registry_namespace = offer.registry_namespace;
  return reply;
}

asio::awaitable<void> serve_open_gate_admission(transport::ByteStream& stream,
                                                const OpenGateOffer& offer) {
  auto request = co_await stream.read_to_end(kMaxAdmissionMessage);
  if (!request.is_ok()) {
    (void)stream.reset(0);
    co_return;
  }
  auto reply = answer_open_gate(
      std::string_view(reinterpret_cast<const char*>(request->data()), request->size()), offer);
  if (!reply) {
    (void)co_await stream.finish();
    co_return;
  }
  const std::string body = reply->to_json();
  (void)co_await stream.write_and_finish(
      std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

}  // namespace aster::trust
