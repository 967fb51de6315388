// The producer's node key and root key from ASTER_SECRET_KEY and `.aster-identity`, in 0.1.2's
// order (include/aster/trust/producer_identity.hpp): the endpoint id a started server has is
// the public key of the seed that should win, and a malformed key or file fails start().
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "aster/contract/service.hpp"
#include "aster/hex.hpp"
#include "aster/rpc/server.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/trust/consumer_admission.hpp"
#include "aster/trust/identity_file.hpp"

namespace {

namespace fs = std::filesystem;
using aster::StatusCode;
using aster::trust::SecretSeed;

struct Ping {
  std::string text;
};
ASTER_MESSAGE(Ping, "test.identity/Ping", ASTER_FIELD(text))

const aster::contract::ServiceDesc& ping_service() {
  static const aster::contract::ServiceDesc desc = aster::contract::ServiceDesc("PingService")
                                                       .version(1)
                                                       .method(aster::contract::unary<Ping, Ping>(
                                                           "ping"));
  return desc;
}

SecretSeed seed_of(uint8_t byte) {
  std::array<uint8_t, 32> bytes{};
  bytes.fill(byte);
  return SecretSeed::from_bytes(bytes).value();
}

std::string endpoint_id_of(const SecretSeed& seed) { return aster::to_hex(seed.public_key()); }

aster::rpc::ServerOptions with_identity(const fs::path& file, std::string peer = "") {
  aster::rpc::ServerOptions options;
  options.identity_file = file.string();
  options.identity_peer = std::move(peer);
  return options;
}

class ServerIdentity : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aster-server-identity-XXXXXX";
    dir_ = mkdtemp(tmpl);
    cwd_ = fs::current_path();
    // Start from a clean environment; each test sets what it means.
    for (const char* name : kVariables) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
    runtime_ = aster::transport::BlockingRuntime::create().value();
  }
  void TearDown() override {
    if (server_) runtime_->run(server_->close());
    server_.reset();
    fs::current_path(cwd_);
    for (const char* name : kVariables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    fs::remove_all(dir_);
  }

  // An identity file with `node` as its key and, when given, a producer peer under `root`.
  fs::path write_identity(const std::string& name, const SecretSeed& node,
                          std::optional<SecretSeed> root = std::nullopt) {
    aster::trust::IdentityFile file;
    file.secret_key = node;
    file.endpoint_id = endpoint_id_of(node);
    if (root) {
      aster::trust::IdentityPeer peer;
      peer.name = "mission-control";
      peer.role = "producer";
      peer.type = "policy";
      peer.root_pubkey = aster::to_hex(root->public_key());
      peer.endpoint_id = file.endpoint_id;
      peer.expires_at = 4102444800;
      peer.signature = std::string(128, '0');  // never presented by a producer (0.1.2 neither)
      file.peers.push_back(peer);
    }
    const fs::path path = dir_ / name;
    std::ofstream(path) << file.to_toml();
    return path;
  }

  // Starts a server with `options`; its endpoint id, or the status start() failed with.
  aster::Result<std::string> start(aster::rpc::ServerOptions options = {}) {
    options.bind_v4 = "127.0.0.1:0";
    options.publish_registry = false;
    if (server_) runtime_->run(server_->close());
    server_ = std::make_unique<aster::Server>(runtime_->runtime(), std::move(options));
    aster::rpc::ServiceImpl impl(ping_service());
    impl.unary<Ping, Ping>("ping", [](Ping p, aster::rpc::CallContext&)
                                       -> asio::awaitable<aster::Result<Ping>> { co_return p; });
    server_->add(std::move(impl));
    aster::Status started = runtime_->run(server_->start());
    if (!started.is_ok()) return started;
    asio::co_spawn(runtime_->io(), server_->serve(), asio::detached);
    return server_->endpoint_id();
  }

  // An open-gate admission request (no credential) to the running server.
  aster::Result<aster::trust::ConsumerAdmissionResponse> ask_admission() {
    auto producer = aster::transport::parse_endpoint_addr(server_->endpoint_addr_b64()).value();
    return runtime_
        ->run([&]() -> asio::awaitable<aster::Result<aster::trust::ConsumerAdmissionResponse>> {
          aster::transport::EndpointConfig cfg;
          cfg.bind_v4 = "127.0.0.1:0";
          ASTER_CO_ASSIGN_OR_RETURN(auto client,
                                    co_await runtime_->runtime().create_endpoint(std::move(cfg)));
          const aster::trust::ConsumerAdmissionRequest open_gate;
          const aster::trust::ConsumerAdmissionOptions options;
          co_return co_await aster::trust::request_consumer_admission(client, producer, open_gate,
                                                                      options);
        }());
  }

  static constexpr const char* kVariables[] = {"ASTER_SECRET_KEY", "ASTER_IDENTITY_FILE",
                                               "ASTER_ROOT_PUBKEY", "ASTER_ROOT_PUBKEY_FILE"};
  fs::path dir_, cwd_;
  std::map<std::string, std::string> saved_;
  std::unique_ptr<aster::transport::BlockingRuntime> runtime_;
  std::unique_ptr<aster::Server> server_;
};

TEST_F(ServerIdentity, AsterSecretKeyIsTheNodeKey) {
  const SecretSeed seed = seed_of(2);
  setenv("ASTER_SECRET_KEY", (" " + seed.to_base64() + "\n").c_str(), 1);  // stripped, as 0.1.2
  auto id = start();
  ASSERT_TRUE(id) << id.status().to_string();
  // The §3.3 vector: seed 32×02 → this endpoint id.
  EXPECT_EQ(*id, "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394");
}

TEST_F(ServerIdentity, IdentityFileNodeKeyFromOptionEnvAndWorkingDirectory) {
  const SecretSeed by_option = seed_of(3), by_env = seed_of(4), in_cwd = seed_of(5);
  const fs::path option_file = write_identity("option-identity", by_option);
  const fs::path env_file = write_identity("env-identity", by_env);
  fs::create_directories(dir_ / "cwd");
  write_identity("cwd/.aster-identity", in_cwd);
  fs::current_path(dir_ / "cwd");

  auto id = start();  // only ./.aster-identity
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(in_cwd));

  setenv("ASTER_IDENTITY_FILE", env_file.c_str(), 1);
  id = start();
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(by_env));

  id = start(with_identity(option_file));
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(by_option));
}

TEST_F(ServerIdentity, ExplicitKeyThenAsterSecretKeyThenFile) {
  const SecretSeed in_file = seed_of(6), in_env = seed_of(7), explicit_key = seed_of(8);
  const fs::path file = write_identity("identity", in_file);
  setenv("ASTER_SECRET_KEY", in_env.to_base64().c_str(), 1);
  auto id = start(with_identity(file));
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(in_env));
  auto options = with_identity(file);
  options.secret_key = explicit_key.bytes();
  id = start(options);
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(explicit_key));
  setenv("ASTER_SECRET_KEY", "  ", 1);  // blank = unset (0.1.2)
  id = start(with_identity(file));
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(in_file));
}

TEST_F(ServerIdentity, MalformedKeyOrFileFailsStart) {
  const SecretSeed seed = seed_of(9);
  for (const std::string& bad :
       std::vector<std::string>{"not base64!", seed.to_hex(), "AAAA", seed.to_base64() + "x"}) {
    SCOPED_TRACE(bad);
    setenv("ASTER_SECRET_KEY", bad.c_str(), 1);
    auto id = start();
    ASSERT_FALSE(id);
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().message().find("ASTER_SECRET_KEY"), std::string::npos)
        << id.status().to_string();
  }
  unsetenv("ASTER_SECRET_KEY");

  const fs::path broken = dir_ / "broken-identity";
  std::ofstream(broken) << "[node]\nsecret_key = \"AAAA\"\n";
  auto id = start(with_identity(broken));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("node.secret_key"), std::string::npos)
      << id.status().to_string();

  std::ofstream(dir_ / "not-toml") << "[node\n";
  id = start(with_identity(dir_ / "not-toml"));
  ASSERT_FALSE(id);
  EXPECT_NE(id.status().message().find("not valid TOML"), std::string::npos)
      << id.status().to_string();

  // A named file must exist (0.1.2 ignores a missing one and starts on a random key).
  id = start(with_identity(dir_ / "missing"));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.status().code(), StatusCode::kNotFound);
  setenv("ASTER_IDENTITY_FILE", (dir_ / "missing").c_str(), 1);
  id = start();
  ASSERT_FALSE(id);
  EXPECT_NE(id.status().message().find("ASTER_IDENTITY_FILE"), std::string::npos)
      << id.status().to_string();
}

// The producer peer's root key closes the gate (0.1.2 takes the key but leaves the gate open,
// its D1): a consumer without a credential is refused, and the reply names that root.
TEST_F(ServerIdentity, ProducerPeerRootKeyClosesTheGate) {
  const SecretSeed node = seed_of(10), root = seed_of(11);
  const fs::path file = write_identity("identity", node, root);
  auto id = start(with_identity(file));
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(*id, endpoint_id_of(node));
  auto reply = ask_admission();
  ASSERT_TRUE(reply) << reply.status().to_string();
  EXPECT_FALSE(reply->admitted);
  EXPECT_EQ(reply->root_pubkey, aster::to_hex(root.public_key()));

  // A peer named that the file lacks is an error, not an open gate.
  auto missing = start(with_identity(file, "other"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  // Without a producer peer: an open gate, as before.
  const fs::path plain = write_identity("plain", node);
  id = start(with_identity(plain));
  ASSERT_TRUE(id) << id.status().to_string();
  reply = ask_admission();
  ASSERT_TRUE(reply) << reply.status().to_string();
  EXPECT_TRUE(reply->admitted);
}

}  // namespace
