// The consumer admission exchange's two JSON messages on ALPN `aster.consumer_admission`
// (aster-rpc@0972ac9:bindings/python/aster/trust/consumer.py, runtime.py
// `AsterClient._run_admission`): one compact JSON request written by the consumer
// on a bidi stream it opens and FINs; one compact JSON reply from the producer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aster/status.hpp"

namespace aster::trust {

// `{"credential_json":"<JSON document as a string>","iid_token":"..."}`. An open gate is
// entered with both empty (37 bytes on the wire).
struct ConsumerAdmissionRequest {
  std::string credential_json;
  std::string iid_token;

  // Compact and ASCII-escaped, key order as 0.1.2's `json.dumps(..., separators=(",",":"))`.
  std::string to_json() const;
  // Any key order; `credential_json` required, `iid_token` may be missing or null.
  static Result<ConsumerAdmissionRequest> from_json(std::string_view text);
};

// One offered service (`registry/models.py` ServiceSummary).
struct ServiceSummary {
  std::string name;
  int64_t version = 0;
  std::string contract_id;                    // 64 hex, BLAKE3 of the canonical contract
  // "rpc" → base64 NodeAddr of the producer. Insertion-ordered: 0.1.2 writes a Python dict in
  // its own order, and our bytes must match (tests/interop/admission_json_test.cpp).
  nlohmann::ordered_map<std::string, std::string> channels;
  std::string pattern = "shared";             // "shared" | "session"
  std::vector<std::string> serialization_modes;  // 0.1.2 producers always send []

  nlohmann::ordered_json to_json() const;
  static Result<ServiceSummary> from_json(const nlohmann::ordered_json& value, std::string_view path);
};

struct ConsumerAdmissionResponse {
  // 0.1.2 cuts the list here (limits.py MAX_SERVICES_IN_ADMISSION).
  static constexpr size_t kMaxServices = 10'000;

  bool admitted = false;
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  std::vector<ServiceSummary> services;
  std::string registry_namespace;  // 64 hex, or "" when publication failed
  std::string root_pubkey;         // 64 hex (zeros when the producer has no root key)
  std::string gossip_topic;        // only sent to the root node itself
  std::string reason;              // always "" on the wire

  // The `services` array exactly as the producer sent it (for `--json` output).
  nlohmann::ordered_json services_as_sent = nlohmann::ordered_json::array();

  // Compact JSON, keys in 0.1.2's order; `gossip_topic` only when non-empty.
  std::string to_json() const;
  // Liberal like 0.1.2's reader (registry_ticket fallback, missing fields default), but
  // `admitted` must be a JSON boolean. Errors name the offending field's path.
  static Result<ConsumerAdmissionResponse> from_json(std::string_view text);
};

// What a producer offers in its admission replies (open or closed gate).
struct OpenGateOffer {
  std::vector<ServiceSummary> services;
  std::string root_pubkey = std::string(64, '0');  // no root key in dev mode
  std::string registry_namespace;                  // "" = no registry published
};

}  // namespace aster::trust
