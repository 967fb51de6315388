// libFuzzer target: the consumer admission messages (issue 13, point 8). A reply is the one
// thing a producer sends before the consumer knows anything about it: any bytes must give a
// response or a status, and what parses must write JSON that parses back to the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aster/trust/admission_messages.hpp"

using namespace aster::trust;

namespace {

bool same_services(const ConsumerAdmissionResponse& a, const ConsumerAdmissionResponse& b) {
  if (a.services.size() != b.services.size()) return false;
  for (size_t i = 0; i < a.services.size(); ++i) {
    const auto& x = a.services[i];
    const auto& y = b.services[i];
    if (x.name != y.name || x.version != y.version || x.contract_id != y.contract_id ||
        x.channels != y.channels || x.pattern != y.pattern ||
        x.serialization_modes != y.serialization_modes) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto response = ConsumerAdmissionResponse::from_json(text); response.is_ok()) {
    auto again = ConsumerAdmissionResponse::from_json(response->to_json());
    if (!again.is_ok() || again->admitted != response->admitted ||
        again->registry_namespace != response->registry_namespace ||
        again->root_pubkey != response->root_pubkey ||
        again->attributes != response->attributes || !same_services(*again, *response)) {
      std::abort();
    }
  }
  if (auto request = ConsumerAdmissionRequest::from_json(text); request.is_ok()) {
    auto again = ConsumerAdmissionRequest::from_json(request->to_json());
    if (!again.is_ok() || again->credential_json != request->credential_json ||
        again->iid_token != request->iid_token) {
      std::abort();
    }
  }
  return 0;
}
