// `aster shell NAME`: peer names from ./.aster-identity, as 0.1.2's shell resolves them
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_resolve_peer_arg`).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "aster/trust/identity_file.hpp"
#include "peer_name.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;

const std::string kProducerId(64, 'b');

class PeerNameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aster-peer-name-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_identity(std::vector<trust::IdentityPeer> peers) {
    trust::IdentityFile file;
    for (auto& p : peers) file.add_peer(std::move(p));
    std::ofstream(dir_ / ".aster-identity") << file.to_toml();
  }
  static trust::IdentityPeer peer(std::string name, std::optional<std::string> endpoint) {
    trust::IdentityPeer p;
    p.name = std::move(name);
    p.role = "consumer";
    p.type = "policy";
    p.root_pubkey = std::string(64, 'a');
    p.endpoint_id = std::move(endpoint);
    p.expires_at = 2000000000;
    p.signature = std::string(128, 'c');
    return p;
  }

  fs::path dir_;
};

TEST_F(PeerNameTest, AddressesPassThrough) {
  auto r = resolve_peer_argument("aster1abc", dir_);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->address, "aster1abc");
  EXPECT_EQ(r->display, "");
  r = resolve_peer_argument(kProducerId, dir_);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->address, kProducerId);
}

TEST_F(PeerNameTest, ANameWithoutAnIdentityFileSaysSo) {
  auto r = resolve_peer_argument("billing", dir_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no .aster-identity in"), std::string::npos);
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST_F(PeerNameTest, ANameResolvesToItsEndpointAndKeepsTheName) {
  write_identity({peer("billing", kProducerId), peer("other", std::string(64, 'd'))});
  auto r = resolve_peer_argument("billing", dir_);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->address, kProducerId);
  EXPECT_EQ(r->display, "billing");
  // the reverse: the endpoint id given directly is shown by its name
  r = resolve_peer_argument(kProducerId, dir_);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->address, kProducerId);
  EXPECT_EQ(r->display, "billing");
}

TEST_F(PeerNameTest, AnUnknownNameListsTheKnownOnes) {
  write_identity({peer("billing", kProducerId), peer("other", std::string(64, 'd'))});
  auto r = resolve_peer_argument("biling", dir_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("known peers: billing, other"), std::string::npos)
      << r.status().message();
}

TEST_F(PeerNameTest, APeerWithoutEndpointIdIsAnError) {
  write_identity({peer("billing", std::nullopt)});
  auto r = resolve_peer_argument("billing", dir_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("has no endpoint_id"), std::string::npos);
}

}  // namespace
}  // namespace aster::cli
