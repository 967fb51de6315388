// The producer's check of a consumer credential when a root key is configured (closed gate),
// in aster-rpc 0.1.2's order (aster-rpc@0972ac9:bindings/python/aster/trust/consumer.py
// `handle_consumer_admission_rpc`, admission.py `check_offline`): parse → root equals ours →
// structure (OTT has a 32-byte nonce, policy none) → ed25519 signature → expires_at > now →
// endpoint binding (if bound) → OTT nonce not seen → IID. Reasons are for our logs only; the
// consumer gets the same denial JSON whatever the reason, as from 0.1.2.
//
// Coroutine-free (the fuzz preset builds it: tests/fuzz/admission_request_fuzz.cpp); the
// stream side is trust/closed_gate_admission.hpp, which aster::Server uses when it has a root
// key (ServerOptions::root_pubkey).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "aster/trust/admission_messages.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/ed25519.hpp"

namespace aster::trust {

// One-time-token nonces seen, each kept until its credential expires (0.1.2's
// InMemoryNonceStore keeps them forever, in memory; both forget on restart).
class NonceStore {
 public:
  // True the first time `nonce` is presented; false after.
  bool consume(const Nonce& nonce, uint64_t expires_at, int64_t now);

 private:
  std::mutex mutex_;
  std::map<Nonce, uint64_t> seen_;
};

struct CredentialCheck {
  bool admitted = false;
  Attributes attributes;
  uint64_t expires_at = 0;
  std::string reason;  // why not (logs only)
};

// Checks `credential_json` (the admission request's string) for the consumer whose QUIC id is
// `peer_endpoint_id` (64 lowercase hex). Stricter than 0.1.2 where 0.1.2 is broken: a credential
// naming an IID provider is denied (0.1.2 checks `aws` against its own metadata, denies
// `gcp`/`azure`, and sends no reply at all for others).
CredentialCheck check_consumer_credential(std::string_view credential_json, const PublicKey& root,
                                          std::string_view peer_endpoint_id, NonceStore& nonces,
                                          int64_t now);

// The reply a 0.1.2 producer with root key `root` sends for `request` (the raw bytes), or
// nullopt when it sends none (empty request). Denials carry our root in hex and nothing else.
// `check`, when given, receives the credential check (for logs, and for the caller to admit the
// peer to gate 0 before replying, as 0.1.2 does).
std::optional<ConsumerAdmissionResponse> answer_closed_gate(std::string_view request,
                                                            const OpenGateOffer& offer,
                                                            const PublicKey& root,
                                                            std::string_view peer_endpoint_id,
                                                            NonceStore& nonces, int64_t now,
                                                            CredentialCheck* check = nullptr);

}  // namespace aster::trust
