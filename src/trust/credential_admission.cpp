#include "aster/trust/credential_admission.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"

namespace aster::trust {
namespace {

CredentialCheck denied(std::string reason) {
  CredentialCheck check;
  check.reason = std::move(reason);
  return check;
}

}  // namespace

bool NonceStore::consume(const Nonce& nonce, uint64_t expires_at, int64_t now) {
  std::lock_guard lock(mutex_);
  // Forget nonces whose credentials have expired: they cannot be presented again anyway.
  std::erase_if(seen_, [now](const auto& entry) {
    return static_cast<int64_t>(std::min<uint64_t>(entry.second, INT64_MAX)) <= now;
  });
  return seen_.emplace(nonce, expires_at).second;
}

CredentialCheck check_consumer_credential(std::string_view credential_json, const PublicKey& root,
                                          std::string_view peer_endpoint_id, NonceStore& nonces,
                                          int64_t now) {
  // consumer.py `consumer_cred_from_json`: `credential_type` is required on the wire.
  auto doc = nlohmann::json::parse(credential_json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return denied("credential is not a JSON object");
  if (!doc.contains("credential_type") || !doc["credential_type"].is_string()) {
    return denied("credential has no credential_type");
  }
  auto parsed = consumer_credential_from_json(doc);
  if (!parsed) return denied(parsed.status().message());
  const ConsumerCredential& cred = *parsed;
  if (cred.root_pubkey != root) return denied("credential root_pubkey is not our root");
  if (cred.type == ConsumerCredentialType::kOtt && !cred.nonce) {
    return denied("OTT credential must carry a nonce");
  }
  if (cred.type == ConsumerCredentialType::kPolicy && cred.nonce) {
    return denied("policy credential must not carry a nonce");
  }
  if (!verify(cred, root)) return denied("invalid signature");
  if (static_cast<int64_t>(std::min<uint64_t>(cred.expires_at, INT64_MAX)) <= now) {
    return denied("credential expired (expires_at=" + std::to_string(cred.expires_at) + ")");
  }
  if (cred.endpoint_id && *cred.endpoint_id != peer_endpoint_id) {
    return denied("credential is bound to another endpoint id");
  }
  if (cred.type == ConsumerCredentialType::kOtt &&
      !nonces.consume(*cred.nonce, cred.expires_at, now)) {
    return denied("OTT nonce already consumed");
  }
  if (cred.attributes.contains(std::string(kAttrIidProvider))) {
    return denied("IID attestation is not supported");
  }
  CredentialCheck check;
  check.admitted = true;
  check.attributes = cred.attributes;
  check.expires_at = cred.expires_at;
  return check;
}

std::optional<ConsumerAdmissionResponse> answer_closed_gate(std::string_view request,
                                                            const OpenGateOffer& offer,
                                                            const PublicKey& root,
                                                            std::string_view peer_endpoint_id,
                                                            NonceStore& nonces, int64_t now,
                                                            CredentialCheck* check) {
  if (request.empty()) return std::nullopt;
  ConsumerAdmissionResponse reply;
  reply.root_pubkey = to_hex(root);
  CredentialCheck outcome;
  auto parsed = ConsumerAdmissionRequest::from_json(request);
  if (!parsed.is_ok()) {
    outcome.reason = "request is not an admission request";
  } else if (parsed->credential_json.empty()) {
    outcome.reason = "no credential (the gate is closed)";
  } else {
    outcome = check_consumer_credential(parsed->credential_json, root, peer_endpoint_id, nonces,
                                        now);
  }
  if (outcome.admitted) {
    reply.admitted = true;
    for (const auto& [key, value] : outcome.attributes) reply.attributes[key] = value;
    const size_t n = std::min(offer.services.size(), ConsumerAdmissionResponse::kMaxServices);
    reply.services = std::vector<ServiceSummary>(
        offer.services.begin(), offer.services.begin() + static_cast<std::ptrdiff_t>(n));
    reply.registry_namespace = offer.registry_namespace;
  }
  if (check != nullptr) *check = std::move(outcome);
  return reply;
}

}  // namespace aster::trust
