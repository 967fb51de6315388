// Our closed-gate credential check (src/trust/credential_admission.cpp) against aster-rpc 0.1.2's
// own handler run on the same requests (tests/interop/py/closed_gate_outcomes.py): the reply
// bytes must be equal for every case of the fact sheet's list — valid, no credential, expired,
// wrong root, tampered signature/attributes/expiry/type, another endpoint, OTT replayed, OTT
// without nonce, policy with nonce, wrong hex lengths, not JSON, `{}`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"
#include "aster/trust/credential_admission.hpp"
#include "reference_peer.hpp"

namespace aster::trust {
namespace {

SecretSeed seed_of(uint8_t byte) {
  std::array<uint8_t, 32> bytes;
  bytes.fill(byte);
  return SecretSeed::from_bytes(bytes).value();
}

std::string request_for(const std::string& credential_json) {
  return ConsumerAdmissionRequest{credential_json, ""}.to_json();
}

TEST(ClosedGate, RepliesEqual012sHandler) {
  const auto root = seed_of(1);
  const auto other_root = seed_of(9);
  const std::string peer = to_hex(seed_of(2).public_key());
  const std::string stranger = to_hex(seed_of(3).public_key());
  const uint64_t future = 4102444800, past = 1000;

  auto policy = [&](uint64_t expires, std::optional<std::string> bound, const SecretSeed& signer) {
    ConsumerCredential c;
    c.root_pubkey = signer.public_key();
    c.expires_at = expires;
    c.attributes = {{"aster.name", "edge"}, {"aster.role", "ops.status"}};
    c.endpoint_id = std::move(bound);
    sign(c, signer);
    return c;
  };
  Nonce nonce{};
  nonce[0] = 7;
  ConsumerCredential ott = policy(future, std::nullopt, root);
  ott.type = ConsumerCredentialType::kOtt;
  ott.nonce = nonce;
  sign(ott, root);

  std::vector<std::pair<std::string, std::string>> cases;  // request, peer
  auto add = [&](const ConsumerCredential& c, const std::string& who = "") {
    cases.emplace_back(request_for(to_wire_json(c)), who.empty() ? peer : who);
  };
  add(policy(future, peer, root));                   // valid, bound
  add(policy(future, std::nullopt, root));           // valid, unbound
  cases.emplace_back(request_for(""), peer);          // no credential on a closed gate
  add(policy(past, peer, root));                     // expired
  add(policy(future, peer, other_root));             // self-signed: wrong root
  {
    auto c = policy(future, peer, root);
    c.signature[5] ^= 1;
    add(c);                                          // tampered signature
    c = policy(future, peer, root);
    c.attributes["aster.role"] = "ops.admin";
    add(c);                                          // tampered attributes
    c = policy(future, peer, root);
    c.expires_at += 1;
    add(c);                                          // tampered expiry
    c = policy(future, peer, root);
    c.type = ConsumerCredentialType::kOtt;
    c.nonce = nonce;
    add(c);                                          // tampered type
  }
  add(policy(future, peer, root), stranger);         // bound to another endpoint
  add(ott);                                          // OTT: first use admitted
  add(ott, stranger);                                // OTT replayed
  {
    auto c = ott;
    c.nonce.reset();
    sign(c, root);
    add(c);                                          // OTT without nonce
    c = policy(future, std::nullopt, root);
    c.nonce = nonce;
    sign(c, root);
    add(c);                                          // policy with nonce
  }
  {
    auto wire = nlohmann::ordered_json::parse(to_wire_json(policy(future, peer, root)));
    auto short_sig = wire;
    short_sig["signature"] = "abcd";
    cases.emplace_back(request_for(short_sig.dump()), peer);  // wrong hex length
    auto no_type = wire;
    no_type.erase("credential_type");
    cases.emplace_back(request_for(no_type.dump()), peer);  // no credential_type
  }
  cases.emplace_back("not json", peer);
  cases.emplace_back("{}", peer);
  cases.emplace_back(request_for("not json either"), peer);

  nlohmann::json spec;
  spec["root_pubkey"] = to_hex(root.public_key());
  for (const auto& [request, who] : cases) spec["cases"].push_back({{"request", request}, {"peer", who}});
  const std::string input_path = "/tmp/aster-closed-gate-" + std::to_string(::getpid()) + ".json";
  {
    std::FILE* f = std::fopen(input_path.c_str(), "w");
    const std::string text = spec.dump();
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  auto r = interop::run_command({"/bin/sh", "-c",
                                 "exec \"$0\" \"$1\" < \"$2\"", interop::reference_python(),
                                 std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/closed_gate_outcomes.py",
                                 input_path});
  std::remove(input_path.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto theirs = nlohmann::json::parse(r.out);
  ASSERT_EQ(theirs.size(), cases.size());

  NonceStore nonces;
  const OpenGateOffer offer{{}, to_hex(root.public_key()), ""};
  const int64_t now = std::time(nullptr);
  int admitted = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ": " + cases[i].first);
    auto ours = answer_closed_gate(cases[i].first, offer, root.public_key(), cases[i].second,
                                   nonces, now);
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->to_json(), theirs[i].get<std::string>());
    admitted += ours->admitted;
  }
  EXPECT_EQ(admitted, 3);  // valid bound, valid unbound, the OTT's first use
}

}  // namespace
}  // namespace aster::trust
