// Finding a consumer's node key and credential (include/aster/trust/consumer_identity.hpp):
// --rcan, --identity, the .aster-identity beside the credential, and the key the credential is
// bound to winning over other candidates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "aster/hex.hpp"
#include "aster/trust/consumer_identity.hpp"
#include "aster/trust/identity_file.hpp"
#include "aster/trust/key_files.hpp"

namespace aster::trust {
namespace {

namespace fs = std::filesystem;

SecretSeed seed_of(uint8_t byte) {
  std::array<uint8_t, 32> bytes;
  bytes.fill(byte);
  return SecretSeed::from_bytes(bytes).value();
}

class ConsumerIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aster-consumer-identity-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An identity file for node `node` with one consumer peer bound to it.
  fs::path write_identity(const std::string& name, uint8_t node) {
    IdentityFile file;
    file.secret_key = seed_of(node);
    file.endpoint_id = to_hex(seed_of(node).public_key());
    ConsumerCredential cred;
    cred.root_pubkey = seed_of(1).public_key();
    cred.expires_at = 4102444800;
    cred.attributes = {{"aster.role", "consumer"}};
    cred.endpoint_id = file.endpoint_id;
    sign(cred, seed_of(1));
    IdentityPeer peer{"c", "consumer", "policy", to_hex(cred.root_pubkey), cred.endpoint_id,
                      cred.expires_at, std::nullopt, to_hex(cred.signature), cred.attributes};
    file.add_peer(peer);
    const fs::path path = dir_ / name;
    EXPECT_TRUE(replace_private_file(path, file.to_toml()).is_ok());
    return path;
  }

  fs::path dir_;
};

TEST_F(ConsumerIdentityTest, NothingNamedIsDevMode) {
  auto identity = load_consumer_identity({});
  ASSERT_TRUE(identity);
  EXPECT_FALSE(identity->secret_key);
  EXPECT_EQ(identity->credential_json(), "");
}

TEST_F(ConsumerIdentityTest, RcanIdentityFileGivesKeyAndCredential) {
  const auto path = write_identity("ops.identity", 5);
  auto identity = load_consumer_identity({path.string(), ""});
  ASSERT_TRUE(identity) << identity.status().to_string();
  ASSERT_TRUE(identity->secret_key);
  EXPECT_EQ(identity->secret_key->bytes(), seed_of(5).bytes());
  ASSERT_TRUE(identity->credential);
  EXPECT_TRUE(verify(*identity->credential, seed_of(1).public_key()));
  EXPECT_NE(identity->credential_json().find("\"credential_type\":\"policy\""), std::string::npos);
}

TEST_F(ConsumerIdentityTest, BoundKeyWinsOverAnotherIdentity) {
  // 0.1.2 would take --identity's key (node 6) and be refused; the credential is bound to 5.
  const auto rcan = write_identity("ops.identity", 5);
  const auto other = write_identity("other.identity", 6);
  auto identity = load_consumer_identity({rcan.string(), other.string()});
  ASSERT_TRUE(identity) << identity.status().to_string();
  EXPECT_EQ(identity->secret_key->bytes(), seed_of(5).bytes());
  // --identity alone: its own key and consumer peer.
  identity = load_consumer_identity({"", other.string()});
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->secret_key->bytes(), seed_of(6).bytes());
  EXPECT_EQ(identity->credential->endpoint_id, to_hex(seed_of(6).public_key()));
}

TEST_F(ConsumerIdentityTest, JsonCredentialTakesTheKeyBesideIt) {
  write_identity(".aster-identity", 7);
  ConsumerCredential cred;
  cred.root_pubkey = seed_of(1).public_key();
  cred.expires_at = 4102444800;
  cred.endpoint_id = to_hex(seed_of(7).public_key());
  sign(cred, seed_of(1));
  ASSERT_TRUE(replace_private_file(dir_ / "cred.json", to_credential_file_json(cred)).is_ok());
  auto identity = load_consumer_identity({(dir_ / "cred.json").string(), ""});
  ASSERT_TRUE(identity) << identity.status().to_string();
  ASSERT_TRUE(identity->secret_key);
  EXPECT_EQ(identity->secret_key->bytes(), seed_of(7).bytes());
  EXPECT_TRUE(verify(*identity->credential, seed_of(1).public_key()));
}

TEST_F(ConsumerIdentityTest, NamedFilesMustExistAndParse) {
  EXPECT_EQ(load_consumer_identity({(dir_ / "missing").string(), ""}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(load_consumer_identity({"", (dir_ / "missing").string()}).status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(replace_private_file(dir_ / "bad", "{\"nope\":1}").is_ok());
  EXPECT_FALSE(load_consumer_identity({(dir_ / "bad").string(), ""}));
}

}  // namespace
}  // namespace aster::trust
