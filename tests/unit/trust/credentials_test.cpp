// Credentials against vectors made by aster-rpc 0.1.2's own signing code
// (tests/interop/py/credential_vectors.py → vectors/credentials.json): signing bytes,
// canonical JSON, signatures (ed25519 is deterministic, so equal bytes mean 0.1.2 verifies
// ours and we verify theirs), the wire JSON and `aster trust sign`'s file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/key_files.hpp"

namespace aster::trust {
namespace {

const nlohmann::ordered_json& vectors() {
  static const nlohmann::ordered_json doc = [] {
    std::ifstream in(std::string(ASTER_TEST_DATA_DIR) + "/vectors/credentials.json");
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::ordered_json::parse(text.str());
  }();
  return doc;
}

SecretSeed root_seed() { return SecretSeed::from_hex(vectors()["root_seed"].get<std::string>()).value(); }

Attributes attributes_of(const nlohmann::ordered_json& object) {
  Attributes attributes;
  for (const auto& [k, v] : object.items()) attributes[k] = v.get<std::string>();
  return attributes;
}

bool keys_sorted(const nlohmann::ordered_json& object) {
  std::string previous;
  bool first = true;
  for (const auto& [k, v] : object.items()) {
    if (!first && !(previous < k)) return false;
    previous = k;
    first = false;
  }
  return true;
}

TEST(Ed25519, SeedsGiveThePublicKeysOf012) {
  EXPECT_EQ(to_hex(root_seed().public_key()), vectors()["root_pubkey"]);
  auto node = SecretSeed::from_hex(vectors()["node_seed"].get<std::string>()).value();
  EXPECT_EQ(to_hex(node.public_key()), vectors()["node_id"]);
}

TEST(Ed25519, Base64RoundTripAndBadInput) {
  auto seed = SecretSeed::generate();
  auto back = SecretSeed::from_base64(seed.to_base64());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->bytes(), seed.bytes());
  EXPECT_EQ(seed.to_base64().size(), 44u);
  EXPECT_FALSE(SecretSeed::from_base64("not base64!"));
  EXPECT_FALSE(SecretSeed::from_base64("AAAA"));  // 3 bytes
  EXPECT_FALSE(SecretSeed::from_hex("00"));
}

TEST(Credentials, SigningBytesAndSignaturesEqual012) {
  const PublicKey root = root_seed().public_key();
  size_t checked = 0;
  for (const auto& c : vectors()["cases"]) {
    SCOPED_TRACE(c.dump());
    const Attributes attributes = attributes_of(c["attributes"]);
    const std::string canonical = canonical_json(attributes);
    EXPECT_EQ(to_hex(std::vector<uint8_t>(canonical.begin(), canonical.end())),
              c["canonical_json"]);
    if (c["kind"] == "producer") {
      ProducerCredential cred{c["endpoint_id"], root, c["expires_at"], attributes, {}};
      EXPECT_EQ(to_hex(signing_bytes(cred)), c["signing_bytes"]);
      sign(cred, root_seed());
      EXPECT_EQ(to_hex(cred.signature), c["signature"]);
      EXPECT_TRUE(verify(cred, root));
      cred.expires_at += 1;
      EXPECT_FALSE(verify(cred, root));
    } else {
      ConsumerCredential cred;
      cred.type = consumer_credential_type_from_string(c["credential_type"].get<std::string>()).value();
      cred.root_pubkey = root;
      cred.expires_at = c["expires_at"];
      cred.attributes = attributes;
      if (!c["endpoint_id"].is_null()) cred.endpoint_id = c["endpoint_id"].get<std::string>();
      if (!c["nonce"].is_null()) cred.nonce = nonce_from_hex(c["nonce"].get<std::string>(), "n").value();
      EXPECT_EQ(to_hex(signing_bytes(cred)), c["signing_bytes"]);
      sign(cred, root_seed());
      EXPECT_EQ(to_hex(cred.signature), c["signature"]);
      EXPECT_TRUE(verify(cred, root));
      // Their wire JSON reads back to the same credential; ours equals theirs byte for byte
      // when their attribute order is already sorted (Python keeps insertion order).
      const std::string wire = c["wire_json"];
      auto parsed = consumer_credential_from_json(nlohmann::json::parse(wire));
      ASSERT_TRUE(parsed) << parsed.status().to_string();
      EXPECT_TRUE(verify(*parsed, root));
      EXPECT_EQ(nlohmann::json::parse(to_wire_json(cred)), nlohmann::json::parse(wire));
      if (keys_sorted(c["attributes"])) {
        EXPECT_EQ(to_wire_json(cred), wire);
      }
      // Flipping the type, the binding or the nonce breaks the signature.
      ConsumerCredential flipped = cred;
      flipped.type = cred.type == ConsumerCredentialType::kOtt ? ConsumerCredentialType::kPolicy
                                                               : ConsumerCredentialType::kOtt;
      EXPECT_FALSE(verify(flipped, root));
      flipped = cred;
      flipped.endpoint_id = cred.endpoint_id ? std::nullopt : std::optional<std::string>("");
      EXPECT_FALSE(verify(flipped, root));
    }
    ++checked;
  }
  EXPECT_GE(checked, 30u);
}

TEST(Credentials, SheetVectorsHoldBytewise) {
  // The three signatures aster-rpc's fact sheet records (0.1.2 signing.py, cryptography 48).
  const PublicKey root = root_seed().public_key();
  ConsumerCredential policy;
  policy.root_pubkey = root;
  policy.expires_at = 1893456000;
  policy.attributes = {{"aster.role", "ops.status,ops.logs"}, {"aster.name", "edge-1"}};
  policy.endpoint_id = vectors()["node_id"].get<std::string>();
  EXPECT_EQ(signing_bytes(policy).size(), 165u);
  sign(policy, root_seed());
  EXPECT_EQ(to_hex(policy.signature),
            "0b23786891702f02d04e3f6992f64fa9c18795f2c0cc84e98967a15f132203bf0a57e9d3848d2119"
            "6b18ad90f057fa743a04754061e476154d958c7e07ece40f");
  ProducerCredential producer{vectors()["node_id"], root, 1893456000, {{"aster.role", "producer"}}, {}};
  EXPECT_EQ(signing_bytes(producer).size(), 129u);
  sign(producer, root_seed());
  EXPECT_EQ(to_hex(producer.signature),
            "ead228937e8bbb5f4d5608a1a1b544549ec2ba90769f160962adc7d24f0da6088bf5e03a97117a4e"
            "3a94a0082a6075ad3ee10b7cc1dfdd412f852320b8322c03");
}

TEST(Credentials, TrustSignFilesReadAndWriteLike012) {
  const PublicKey root = root_seed().public_key();
  for (const auto& f : vectors()["trust_sign_files"]) {
    SCOPED_TRACE(f.dump());
    const std::string file = f["file"];
    auto doc = nlohmann::json::parse(file);
    if (f["type"] == "producer") {
      auto cred = producer_credential_from_json(doc);
      ASSERT_TRUE(cred) << cred.status().to_string();
      EXPECT_TRUE(verify(*cred, root));
      EXPECT_EQ(to_credential_file_json(*cred), file);
    } else {
      auto cred = consumer_credential_from_json(doc);
      ASSERT_TRUE(cred) << cred.status().to_string();
      EXPECT_TRUE(verify(*cred, root));
      EXPECT_EQ(to_credential_file_json(*cred), file);
    }
  }
}

TEST(Credentials, ParsingRefusesWhatNoProducerAccepts) {
  const std::string root(64, 'a');
  auto with = [&](const std::string& extra) {
    return "{\"root_pubkey\":\"" + root + "\",\"expires_at\":5" + extra + "}";
  };
  EXPECT_TRUE(consumer_credential_from_json(nlohmann::json::parse(with(""))));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse(with(",\"type\":\"bogus\""))));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse(with(",\"nonce\":\"00\""))));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse(with(",\"signature\":\"zz\""))));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse(with(",\"endpoint_id\":\"ab\""))));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse(with(",\"attributes\":{\"x\":1}"))));
  EXPECT_FALSE(consumer_credential_from_json(
      nlohmann::json::parse("{\"root_pubkey\":\"" + root + "\",\"expires_at\":-1}")));
  EXPECT_FALSE(consumer_credential_from_json(
      nlohmann::json::parse("{\"root_pubkey\":\"" + root + "\",\"expires_at\":1.5}")));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse("{\"expires_at\":1}")));
  EXPECT_FALSE(consumer_credential_from_json(nlohmann::json::parse("[]")));
  // "" nonce and null endpoint are "absent", as 0.1.2 reads them.
  auto cred = consumer_credential_from_json(
      nlohmann::json::parse(with(",\"nonce\":\"\",\"endpoint_id\":null,\"credential_type\":\"ott\"")));
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->type, ConsumerCredentialType::kOtt);
  EXPECT_FALSE(cred->nonce);
  EXPECT_FALSE(cred->endpoint_id);
}

TEST(KeyFiles, RootKeyFileRoundTripAndMismatch) {
  auto seed = root_seed();
  const std::string text = root_key_file_json(seed);
  EXPECT_EQ(text, "{\n  \"private_key\": \"" + seed.to_hex() +
                      "\",\n  \"public_key\": \"" + vectors()["root_pubkey"].get<std::string>() +
                      "\"\n}\n");
  auto key = parse_root_key_file(text);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_key, seed.public_key());
  auto only_private = parse_root_key_file("{\"private_key\":\"" + seed.to_hex() + "\"}");
  ASSERT_TRUE(only_private);
  EXPECT_EQ(only_private->public_key, seed.public_key());
  EXPECT_FALSE(parse_root_key_file("{\"private_key\":\"" + seed.to_hex() +
                                   "\",\"public_key\":\"" + std::string(64, '0') + "\"}"));
  EXPECT_FALSE(parse_root_key_file("{}"));
  EXPECT_FALSE(parse_root_key_file("nope"));
  auto pub = parse_root_public_key(root_pub_file_json(seed.public_key()));
  ASSERT_TRUE(pub);
  EXPECT_EQ(*pub, seed.public_key());
  auto hex_pub = parse_root_public_key("  " + vectors()["root_pubkey"].get<std::string>() + "\n");
  ASSERT_TRUE(hex_pub);
  EXPECT_EQ(*hex_pub, seed.public_key());
  EXPECT_EQ(public_key_path_for("/a/root.key"), "/a/root.pub");
  EXPECT_EQ(public_key_path_for("rootkey"), "rootkey.pub");
}

}  // namespace
}  // namespace aster::trust
