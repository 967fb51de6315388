// The producer's admission request parser and credential check (issue 12): any bytes a consumer
// sends on `aster.consumer_admission` go through answer_closed_gate (request JSON, then the
// credential JSON inside it, hex fields, the signature check). Must never crash or hang, and
// must answer every non-empty request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aster/trust/credential_admission.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aster::trust;
  static const PublicKey root = [] {
    PublicKey key{};
    // The root of tests/unit/trust/vectors/credentials.json (seed 32×01), so seeds verify.
    const char* hex = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    return public_key_from_hex(hex, "root").value();
  }();
  static NonceStore nonces;
  static const OpenGateOffer offer;
  const std::string_view request(reinterpret_cast<const char*>(data), size);
  auto reply = answer_closed_gate(
      request, offer, root, "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394",
      nonces, 1'700'000'000);
  if (!request.empty() && !reply) std::abort();
  if (reply) (void)reply->to_json();
  (void)ConsumerAdmissionRequest::from_json(request);
  return 0;
}
