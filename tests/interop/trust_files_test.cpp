// Keys, credentials and `.aster-identity` files between our `aster` and aster-cli 0.1.2, both
// ways, judged by 0.1.2's own runtime (tests/interop/py/credential_check.py loads a file as a
// 0.1.2 consumer does and verifies it as a 0.1.2 producer does) and, for the seed's flow, by a
// real 0.1.2 producer admitting a real 0.1.2 consumer (py/trust_consumer.py).
//
// Each test gets its own HOME (~/.aster/config.toml, root.key) in a temporary directory.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aster/hex.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster/trust/credentials.hpp"
#include "aster/trust/identity_file.hpp"
#include "aster/trust/key_files.hpp"
#include "reference_peer.hpp"

namespace aster::trust {
namespace {

namespace fs = std::filesystem;
const std::string kAster = std::string(ASTER_BINARY_DIR) + "/cli/aster";

class TrustFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aster-trust-files-XXXXXX";
    dir_ = mkdtemp(tmpl);
    home_ = dir_ / "home";
    fs::create_directories(home_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  interop::CommandResult ours(std::vector<std::string> args) {
    args.insert(args.begin(), kAster);
    return interop::run_command(args, std::chrono::seconds(60), {"HOME=" + home_.string()});
  }
  interop::CommandResult theirs(std::vector<std::string> args) {
    args.insert(args.begin(), fs::path(interop::reference_python()).parent_path() / "aster");
    return interop::run_command(args, std::chrono::seconds(60),
                                {"HOME=" + home_.string(), "NO_COLOR=1"});
  }
  // 0.1.2's runtime view of a credential file.
  nlohmann::json check(const fs::path& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {interop::reference_python(),
                                     std::string(ASTER_SOURCE_DIR) +
                                         "/tests/interop/py/credential_check.py",
                                     path.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = interop::run_command(argv);
    if (r.exit_code != 0) throw std::runtime_error("credential_check.py: " + r.err);
    return nlohmann::json::parse(r.out);
  }
  // A 0.1.2 consumer presenting `identity` to the producer at `address`: {admitted, …}.
  nlohmann::json python_consumer(const std::string& address, const fs::path& identity) {
    auto out = interop::run_command(
        {interop::reference_python(),
         std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/trust_consumer.py", address,
         identity.string()},
        std::chrono::seconds(90), {"HOME=" + home_.string()});
    if (out.exit_code != 0) throw std::runtime_error("trust_consumer.py: " + out.err);
    return nlohmann::json::parse(out.out);
  }
  // Closed-gate hello producers trusting this HOME's root.pub: a 0.1.2 one (its address is
  // ready_info()["node_addr_b64"]) and ours (["line"]).
  interop::PeerCommand python_hello_producer() const {
    interop::PeerCommand producer;
    producer.argv = {interop::reference_python(), "-u",
                     std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/hello_producer.py"};
    producer.env = {root_pub_env(), "HOME=" + home_.string()};
    producer.cwd = dir_.string();
    return producer;
  }
  interop::PeerCommand our_hello_producer() const {
    interop::PeerCommand producer;
    producer.argv = {std::string(ASTER_BINARY_DIR) + "/examples/hello/hello_producer"};
    producer.env = {root_pub_env()};
    return producer;
  }
  std::string root_pub_env() const {
    return "ASTER_ROOT_PUBKEY_FILE=" + (home_ / ".aster/root.pub").string();
  }
  // Our `aster call … HelloService.say_hello {"name": "trust"}` with `flags` (--rcan F, …).
  interop::CommandResult say_hello(const std::string& address,
                                   const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"call", address, "HelloService.say_hello",
                                     "{\"name\": \"trust\"}"};
    args.insert(args.end(), flags.begin(), flags.end());
    return ours(args);
  }
  // A raw call on aster/1 without admission: the producer's answer, as a status (a closed gate
  // closes the connection with 403 "not admitted").
  static Status dial_rpc_without_admission(const std::string& address) {
    auto runtime = transport::BlockingRuntime::create();
    if (!runtime) return runtime.status();
    auto& blocking = **runtime;
    return blocking.run([&]() -> asio::awaitable<Status> {
      transport::EndpointConfig config;
      ASTER_CO_ASSIGN_OR_RETURN(auto endpoint,
                                co_await blocking.runtime().create_endpoint(std::move(config)));
      ASTER_CO_ASSIGN_OR_RETURN(auto target, transport::parse_endpoint_addr(address));
      ASTER_CO_ASSIGN_OR_RETURN(auto conn, co_await endpoint.connect(target, "aster/1"));
      const std::vector<uint8_t> junk = {1, 2, 3};
      ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await conn.open_bi_with(junk));
      ASTER_CO_ASSIGN_OR_RETURN(auto reply, co_await stream.recv.read_to_end(1024));
      co_return Status(StatusCode::kInternal, "served without admission");
    }());
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static unsigned mode(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
  }

  fs::path dir_, home_;
};

TEST_F(TrustFiles, OurEnrollmentsVerifyIn012IncludingRoleConsumerWithoutCapabilities) {
  auto key = ours({"keygen", "root"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(mode(home_ / ".aster/root.key"), 0600u);
  EXPECT_EQ(key.out.find(read(home_ / ".aster/root.key").substr(19, 64)), std::string::npos)
      << "the private key must not be printed";
  // 0.1.2 reads our config.toml.
  auto listed = theirs({"profile", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("default *"), std::string::npos) << listed.out;

  const fs::path id = dir_ / "id" / ".aster-identity";
  struct Case {
    std::vector<std::string> args;
    std::string role_attribute;
  };
  const std::vector<Case> cases = {
      {{"-r", "consumer", "-n", "plain"}, "consumer"},  // 0.1.2's own output fails here (D4)
      {{"-r", "consumer", "-n", "same", "-c", "consumer"}, "consumer"},
      {{"-r", "consumer", "-n", "ops", "-c", "ops.status,ops.logs", "-a", "aster.name=ops,team=a"},
       "ops.status,ops.logs"},
  };
  std::string endpoint_id;
  for (const auto& c : cases) {
    std::vector<std::string> args = {"enroll", "node", "-o", id.string(), "-q", "-e", "7d"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = ours(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(mode(id), 0600u);
    // -q: "PATH EID EXPIRES"
    std::istringstream line(r.out);
    std::string path, eid, expires;
    line >> path >> eid >> expires;
    EXPECT_EQ(path, id.string());
    if (endpoint_id.empty()) endpoint_id = eid;
    EXPECT_EQ(eid, endpoint_id) << "the node key is reused";
    EXPECT_TRUE(expires.ends_with("+00:00")) << expires;
    // Each enrollment is the file's newest consumer peer only when it is the first; check the
    // peer as the runtime picks it: write a one-peer copy.
    auto file = IdentityFile::parse(read(id)).value();
    IdentityFile single = file;
    single.peers = {file.peers.back()};
    const fs::path one = dir_ / ("one-" + file.peers.back().name);
    ASSERT_TRUE(replace_private_file(one, single.to_toml()).is_ok());
    auto seen = check(one);
    EXPECT_TRUE(seen["verified"].get<bool>()) << seen.dump();
    EXPECT_TRUE(seen["node_key_matches"].get<bool>());
    EXPECT_EQ(seen["endpoint_id"], endpoint_id);
    EXPECT_EQ(seen["attributes"]["aster.role"], c.role_attribute) << seen.dump();
  }
  auto file = IdentityFile::parse(read(id)).value();
  EXPECT_EQ(file.peers.size(), 3u);

  // OTT: 0.1.2 writes no nonce (D5); ours carries one and verifies.
  const fs::path ott = dir_ / "ott-identity";
  auto r = ours({"enroll", "node", "-r", "consumer", "-n", "once", "-t", "ott", "-o",
                 ott.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto seen = check(ott);
  EXPECT_TRUE(seen["verified"].get<bool>()) << seen.dump();
  EXPECT_EQ(seen["type"], "ott");
  EXPECT_EQ(seen["nonce"].get<std::string>().size(), 64u);

  // A producer enrollment verifies as a producer credential.
  r = ours({"enroll", "node", "-r", "producer", "-n", "prod", "-o", ott.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  seen = check(ott, {"--producer-peer", "prod"});
  EXPECT_TRUE(seen["verified"].get<bool>()) << seen.dump();
  EXPECT_EQ(seen["attributes"]["aster.role"], "producer");
}

TEST_F(TrustFiles, Files012MadeWorkWithOurs) {
  auto key = theirs({"keygen", "root"});
  ASSERT_EQ(key.exit_code, 0) << key.err << key.out;
  // Our profile commands read their config.toml; our enroll signs with their root.key.
  auto shown = ours({"profile", "show"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto root = parse_root_key_file(read(home_ / ".aster/root.key"));
  ASSERT_TRUE(root);
  const std::string root_hex = to_hex(root->public_key);
  EXPECT_NE(shown.out.find("root_pubkey: " + root_hex), std::string::npos) << shown.out;

  // 0.1.2's `enroll node -r consumer` (no -c): its own runtime cannot verify it (D4)…
  const fs::path theirs_id = dir_ / "theirs-identity";
  auto r = theirs({"enroll", "node", "-r", "consumer", "-n", "c", "-o", theirs_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_FALSE(check(theirs_id)["verified"].get<bool>()) << "0.1.2's D4 is fixed upstream?";
  // …ours reads it with aster.role restored, and it verifies against their root.
  auto cred = load_consumer_credential(read(theirs_id));
  ASSERT_TRUE(cred) << cred.status().to_string();
  EXPECT_TRUE(verify(*cred, root->public_key));
  EXPECT_EQ(cred->attributes.at("aster.role"), "consumer");

  // Our enroll adds a peer to their file: their node key is reused, their peer kept.
  const std::string their_eid = IdentityFile::parse(read(theirs_id)).value().endpoint_id;
  r = ours({"enroll", "node", "-r", "consumer", "-n", "ours", "-c", "ops.status", "-i",
            theirs_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(their_eid), std::string::npos) << r.out;
  auto merged = IdentityFile::parse(read(theirs_id)).value();
  ASSERT_EQ(merged.peers.size(), 2u);
  EXPECT_EQ(merged.peers[0].name, "c");

  // And theirs adds a peer to ours, reusing our node key.
  const fs::path ours_id = dir_ / "ours-identity";
  r = ours({"enroll", "node", "-r", "consumer", "-n", "a", "-o", ours_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string our_eid = IdentityFile::parse(read(ours_id)).value().endpoint_id;
  r = theirs({"enroll", "node", "-r", "producer", "-n", "p", "-i", ours_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find(our_eid), std::string::npos) << r.out;
  // (0.1.2 rewrote our peer without its aster.role; we still read it.)
  auto after = IdentityFile::parse(read(ours_id));
  ASSERT_TRUE(after) << after.status().to_string();
  auto ours_again = load_consumer_credential(read(ours_id));
  ASSERT_TRUE(ours_again);
  EXPECT_TRUE(verify(*ours_again, root->public_key));
}

TEST_F(TrustFiles, TrustSignBothWays) {
  auto key = ours({"trust", "keygen", "--out-key", (dir_ / "k" / "root.key").string()});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_TRUE(fs::exists(dir_ / "k" / "root.pub"));
  EXPECT_EQ(ours({"trust", "keygen", "--out-key", (dir_ / "k" / "root.key").string()}).exit_code,
            1);
  const std::string eid(64, 'a');
  // Ours → 0.1.2's loader.
  auto r = ours({"trust", "sign", "--root-key", (dir_ / "k/root.key").string(), "--type", "policy",
                 "--endpoint-id", eid, "--attributes", "{\"aster.role\":\"ops.status\"}",
                 "--expires", "2031-02-03T04:05:06Z", "--out", (dir_ / "ours.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto seen = check(dir_ / "ours.json");
  EXPECT_TRUE(seen["verified"].get<bool>()) << seen.dump();
  EXPECT_EQ(seen["expires_at"], 1927857906);
  r = ours({"trust", "sign", "--root-key", (dir_ / "k/root.key").string(), "--type", "ott",
            "--out", (dir_ / "ott.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  seen = check(dir_ / "ott.json");
  EXPECT_TRUE(seen["verified"].get<bool>()) << seen.dump();
  EXPECT_TRUE(seen["endpoint_id"].is_null());
  // 0.1.2 → ours, with their keygen's key file.
  r = theirs({"trust", "keygen", "--out-key", (dir_ / "t" / "root.key").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = theirs({"trust", "sign", "--root-key", (dir_ / "t/root.key").string(), "--type", "policy",
              "--attributes", "{\"aster.role\":\"x\"}", "--out", (dir_ / "theirs.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto theirs_root = parse_root_key_file(read(dir_ / "t/root.key"));
  ASSERT_TRUE(theirs_root);
  auto cred = load_consumer_credential(read(dir_ / "theirs.json"));
  ASSERT_TRUE(cred) << cred.status().to_string();
  EXPECT_TRUE(verify(*cred, theirs_root->public_key));
}

// The upstream guide's chapter 5 with our producer (aster-rpc@0972ac9:examples/mission-control/
// GUIDE.md): aster-cli 0.1.2 enrolls the producer (`enroll node -r producer`, written as
// ./.aster-identity) and a consumer. Our hello_producer, started in that directory with nothing
// else configured, runs on the file's [node] endpoint_id and trusts the file's root: the 0.1.2
// consumer with its credential is admitted, a consumer without one is refused (0.1.2 would
// leave this gate open, its D1).
TEST_F(TrustFiles, OurProducerRunsOn012EnrolledIdentity) {
  ASSERT_EQ(theirs({"keygen", "root"}).exit_code, 0);
  const fs::path project = dir_ / "project";
  fs::create_directories(project);
  const fs::path identity = project / ".aster-identity";
  auto r = theirs({"enroll", "node", "-r", "producer", "-n", "mission-control", "-o",
                   identity.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::istringstream line(r.out);
  std::string path, endpoint_id;
  line >> path >> endpoint_id;
  auto file = IdentityFile::parse(read(identity));
  ASSERT_TRUE(file) << file.status().to_string();
  EXPECT_EQ(file->endpoint_id, endpoint_id) << "[node] endpoint_id as aster-cli wrote it";
  const fs::path caps = dir_ / "caps-identity";
  r = theirs({"enroll", "node", "-r", "consumer", "-n", "ops", "-c", "ops.status", "-o",
              caps.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  interop::PeerCommand producer;
  producer.argv = {std::string(ASTER_BINARY_DIR) + "/examples/hello/hello_producer"};
  producer.cwd = project.string();
  interop::ReferencePeer peer(producer);
  const std::string address = peer.ready_info()["line"];
  auto target = transport::parse_endpoint_addr(address);
  ASSERT_TRUE(target) << address;
  EXPECT_EQ(target->id.to_hex(), endpoint_id);

  auto admitted = python_consumer(address, caps);
  EXPECT_TRUE(admitted["admitted"].get<bool>()) << admitted.dump();
  EXPECT_EQ(admitted.value("reply", ""), "Hello, trust!") << admitted.dump();
  auto none = say_hello(address);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("admission denied"), std::string::npos) << none.err;
}

// `[profile: NAME]` on stderr before every command but `profile` once ~/.aster/config.toml has
// more than one profile: the same lines from our tool and aster-cli 0.1.2 on the same HOME.
TEST_F(TrustFiles, ProfileHintAs012PrintsIt) {
  struct Seen {
    std::string ours, theirs;
  };
  int key = 0;
  auto stderr_of = [&](std::vector<std::string> args) {
    for (auto& arg : args) {
      if (arg == "KEY") arg = (dir_ / ("k" + std::to_string(++key) + ".key")).string();
    }
    return Seen{ours(args).err, theirs(args).err};
  };
  const std::string hint = "[profile: staging]\n";
  ASSERT_EQ(theirs({"profile", "create", "staging"}).exit_code, 0);
  auto single = stderr_of({"trust", "keygen", "--out-key", "KEY"});
  EXPECT_EQ(single.ours.find("[profile:"), std::string::npos) << single.ours;
  EXPECT_EQ(single.theirs.find("[profile:"), std::string::npos) << single.theirs;

  ASSERT_EQ(theirs({"profile", "create", "prod"}).exit_code, 0);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"trust", "keygen", "--out-key", "KEY"}, {"contract"}}) {
    SCOPED_TRACE(args[0]);
    auto seen = stderr_of(args);
    EXPECT_TRUE(seen.theirs.starts_with(hint)) << seen.theirs;
    EXPECT_TRUE(seen.ours.starts_with(hint)) << seen.ours;
  }
  // Not for `profile`, nor for --help; and ASTER_PROFILE does not change the name (0.1.2 prints
  // config.toml's active_profile).
  for (const auto& args : std::vector<std::vector<std::string>>{{"profile", "list"},
                                                                {"call", "--help"}}) {
    auto seen = stderr_of(args);
    EXPECT_EQ(seen.ours.find("[profile:"), std::string::npos) << seen.ours;
    EXPECT_EQ(seen.theirs.find("[profile:"), std::string::npos) << seen.theirs;
  }
  auto with_env = [&](const std::string& program) {
    return interop::run_command(
               {program, "trust", "keygen", "--out-key",
                (dir_ / ("e" + std::to_string(++key) + ".key")).string()},
               std::chrono::seconds(60),
               {"HOME=" + home_.string(), "NO_COLOR=1", "ASTER_PROFILE=prod"})
        .err;
  };
  EXPECT_TRUE(with_env(kAster).starts_with(hint));
  EXPECT_TRUE(
      with_env((fs::path(interop::reference_python()).parent_path() / "aster").string())
          .starts_with(hint));
}

// The seed's flow with the real 0.1.2 peers: root key and enrollment by our tool, a 0.1.2
// producer trusting that root (ASTER_ROOT_PUBKEY_FILE), a 0.1.2 consumer presenting our file.
// The same flow with 0.1.2's own `enroll node -r consumer` is refused (D4).
TEST_F(TrustFiles, Python012ProducerAdmitsAPython012ConsumerWithOurEnrollment) {
  ASSERT_EQ(ours({"keygen", "root"}).exit_code, 0);
  const fs::path ours_id = dir_ / "ours-identity";
  auto r = ours({"enroll", "node", "-r", "consumer", "-n", "my-consumer", "-o", ours_id.string(),
                 "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path theirs_id = dir_ / "theirs-identity";
  r = theirs({"enroll", "node", "-r", "consumer", "-n", "my-consumer", "--root-key",
              (home_ / ".aster/root.key").string(), "-o", theirs_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  interop::ReferencePeer peer(python_hello_producer());
  const std::string address = peer.ready_info()["node_addr_b64"];
  auto consume = [&](const fs::path& identity) { return python_consumer(address, identity); };
  auto admitted = consume(ours_id);
  EXPECT_TRUE(admitted["admitted"].get<bool>()) << admitted.dump();
  EXPECT_EQ(admitted.value("reply", ""), "Hello, trust!") << admitted.dump();
  auto refused = consume(theirs_id);
  EXPECT_FALSE(refused["admitted"].get<bool>()) << refused.dump();
  EXPECT_EQ(refused.value("kind", ""), "AdmissionDeniedError") << refused.dump();
}

// Our consumer (`aster call --rcan` / `--identity`) admitted by a 0.1.2 producer trusting an
// aster-cli-0.1.2-made root key, with credentials aster-cli 0.1.2 made — including its
// `enroll node -r consumer` file that 0.1.2's own consumer cannot get admitted with (D4).
TEST_F(TrustFiles, OurConsumerWith012MadeCredentialsAdmittedBy012Producer) {
  ASSERT_EQ(theirs({"keygen", "root"}).exit_code, 0);
  const fs::path plain = dir_ / "plain" / ".aster-identity";
  const fs::path caps = dir_ / "caps-identity";
  auto r = theirs({"enroll", "node", "-r", "consumer", "-n", "c", "-o", plain.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = theirs({"enroll", "node", "-r", "consumer", "-n", "ops", "-c", "ops.status", "-o",
              caps.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const fs::path ours_id = dir_ / "ours-identity";
  ASSERT_EQ(ours({"enroll", "node", "-r", "consumer", "-n", "o", "-o", ours_id.string(), "-q"})
                .exit_code,
            0);

  interop::ReferencePeer peer(python_hello_producer());
  const std::string address = peer.ready_info()["node_addr_b64"];
  auto call = [&](const std::vector<std::string>& flags) { return say_hello(address, flags); };
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--rcan", plain.string()},
           {"--identity", plain.string()},
           {"--rcan", caps.string()},
           {"--rcan", ours_id.string()}}) {
    SCOPED_TRACE(flags[0] + " " + flags[1]);
    auto out = call(flags);
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_NE(out.out.find("Hello, trust!"), std::string::npos) << out.out << out.err;
  }
  // No credential: the closed gate refuses (0.1.2: AdmissionDeniedError, a PermissionError).
  auto refused = call({});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("admission denied"), std::string::npos) << refused.err;
  // ASTER_IDENTITY_FILE stands in for --identity.
  auto from_env = interop::run_command(
      {kAster, "call", address, "HelloService.say_hello", "{\"name\": \"trust\"}"},
      std::chrono::seconds(60), {"HOME=" + home_.string(), "ASTER_IDENTITY_FILE=" + caps.string()});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
}

// Our producer with a closed gate (ASTER_ROOT_PUBKEY_FILE, as 0.1.2 reads it) against real 0.1.2
// consumers: enrollments by our tool and by aster-cli 0.1.2 are admitted, 0.1.2's broken
// `enroll -r consumer` file is refused (its consumer presents it without aster.role, as to a
// 0.1.2 producer), no credential is refused, and a dial on aster/1 without admission is closed
// with 403 "not admitted".
TEST_F(TrustFiles, OurClosedGateProducerJudgesLike012) {
  ASSERT_EQ(ours({"keygen", "root"}).exit_code, 0);
  const fs::path ours_id = dir_ / "ours-identity";
  const fs::path caps = dir_ / "caps-identity";
  const fs::path plain = dir_ / "plain-identity";
  ASSERT_EQ(ours({"enroll", "node", "-r", "consumer", "-n", "o", "-o", ours_id.string(), "-q"})
                .exit_code,
            0);
  auto r = theirs({"enroll", "node", "-r", "consumer", "-n", "ops", "-c", "ops.status", "-o",
                   caps.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = theirs({"enroll", "node", "-r", "consumer", "-n", "c", "-o", plain.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  interop::ReferencePeer peer(our_hello_producer());
  const std::string address = peer.ready_info()["line"];
  auto consume = [&](const fs::path& identity) { return python_consumer(address, identity); };
  for (const auto& id : {ours_id, caps}) {
    auto admitted = consume(id);
    EXPECT_TRUE(admitted["admitted"].get<bool>()) << id << admitted.dump();
    EXPECT_EQ(admitted.value("reply", ""), "Hello, trust!") << admitted.dump();
  }
  auto refused = consume(plain);
  EXPECT_FALSE(refused["admitted"].get<bool>()) << refused.dump();
  EXPECT_EQ(refused.value("kind", ""), "AdmissionDeniedError") << refused.dump();
  // Our consumer repairs that file and is admitted; without a credential it is refused.
  auto call = [&](const std::vector<std::string>& flags) { return say_hello(address, flags); };
  auto repaired = call({"--rcan", plain.string()});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_NE(repaired.out.find("Hello, trust!"), std::string::npos) << repaired.out;
  auto none = call({});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("admission denied"), std::string::npos) << none.err;

  // aster/1 without admission: gate 0 closes the connection with 403 "not admitted".
  Status outcome = dial_rpc_without_admission(address);
  EXPECT_NE(outcome.message().find("403"), std::string::npos) << outcome.to_string();
  EXPECT_NE(outcome.message().find("not admitted"), std::string::npos) << outcome.to_string();
}

// The sheet's refusals (§8), live: each bad credential presented over the network by a 0.1.2
// consumer (py/trust_consumer.py) and by our `aster call --rcan`, to a 0.1.2 producer and to
// ours, both with a closed gate on the same root. Every one is refused by both producers, to
// both consumers; a one-time token is admitted once and its replay refused; a dial on aster/1
// without admission is closed by both with 403 "not admitted".
TEST_F(TrustFiles, BadCredentialsAreRefusedAlikeByBothProducers) {
  ASSERT_EQ(ours({"keygen", "root"}).exit_code, 0);
  auto root_text = read_small_file(home_ / ".aster/root.key");
  ASSERT_TRUE(root_text.is_ok());
  auto root = parse_root_key_file(*root_text);
  ASSERT_TRUE(root.is_ok()) << root.status().to_string();
  const fs::path good = dir_ / "good-identity";
  ASSERT_EQ(ours({"enroll", "node", "-r", "consumer", "-n", "c", "-c", "ops.status", "-o",
                  good.string(), "-q"})
                .exit_code,
            0);
  auto good_file = IdentityFile::parse(read(good));
  ASSERT_TRUE(good_file.is_ok()) << good_file.status().to_string();

  // A copy of the good file whose credential `change` alters; `resign_with` signs it again.
  auto variant = [&](const std::string& name, auto change,
                     std::optional<SecretSeed> resign_with) -> fs::path {
    IdentityFile file = *good_file;
    IdentityPeer& peer = file.peers.front();
    auto credential = consumer_credential_from_peer(peer);
    if (!credential.is_ok()) throw std::runtime_error(credential.status().to_string());
    change(*credential);
    if (resign_with) sign(*credential, *resign_with);
    peer.root_pubkey = to_hex(credential->root_pubkey);
    peer.expires_at = credential->expires_at;
    peer.endpoint_id = credential->endpoint_id;
    peer.attributes = credential->attributes;
    peer.signature = to_hex(credential->signature);
    const fs::path path = dir_ / (name + "-identity");
    std::ofstream(path) << file.to_toml();
    return path;
  };
  const SecretSeed other_root = SecretSeed::generate();
  const std::vector<std::pair<std::string, fs::path>> refused_cases = {
      {"expired", variant("expired", [](ConsumerCredential& c) { c.expires_at = 1000; },
                          root->private_key)},
      {"wrong root", variant("wrong-root",
                             [&](ConsumerCredential& c) { c.root_pubkey = other_root.public_key(); },
                             other_root)},
      {"tampered signature",
       variant("tampered", [](ConsumerCredential& c) { c.signature[7] ^= 0x10; }, std::nullopt)},
      {"tampered attributes",
       variant("escalated", [](ConsumerCredential& c) { c.attributes["aster.role"] = "ops.admin"; },
               std::nullopt)},
      {"another endpoint",
       variant("elsewhere",
               [](ConsumerCredential& c) {
                 c.endpoint_id = to_hex(SecretSeed::generate().public_key());
               },
               root->private_key)},
  };

  for (const auto& producer : {python_hello_producer(), our_hello_producer()}) {
    SCOPED_TRACE(producer.argv.back());
    interop::ReferencePeer peer(producer);
    const auto& info = peer.ready_info();
    const std::string address =
        info.contains("node_addr_b64") ? info["node_addr_b64"] : info["line"];
    auto ours_call = [&](const fs::path& identity) {
      return say_hello(address, {"--rcan", identity.string()});
    };
    for (const auto& [what, identity] : refused_cases) {
      SCOPED_TRACE(what);
      auto theirs_outcome = python_consumer(address, identity);
      EXPECT_FALSE(theirs_outcome["admitted"].get<bool>()) << theirs_outcome.dump();
      EXPECT_EQ(theirs_outcome.value("kind", ""), "AdmissionDeniedError") << theirs_outcome.dump();
      auto our_outcome = ours_call(identity);
      EXPECT_EQ(our_outcome.exit_code, 1) << our_outcome.out;
      EXPECT_NE(our_outcome.err.find("admission denied"), std::string::npos) << our_outcome.err;
    }
    EXPECT_TRUE(python_consumer(address, good)["admitted"].get<bool>());

    // A one-time token: admitted once, its replay refused (a fresh token per producer).
    const fs::path ott = dir_ / "ott-identity";
    fs::remove(ott);
    ASSERT_EQ(ours({"enroll", "node", "-r", "consumer", "-n", "once", "-t", "ott", "-c",
                    "ops.status", "-o", ott.string(), "-q"})
                  .exit_code,
              0);
    auto first = ours_call(ott);
    EXPECT_EQ(first.exit_code, 0) << first.err;
    auto replayed = python_consumer(address, ott);
    EXPECT_FALSE(replayed["admitted"].get<bool>()) << replayed.dump();
    auto replayed_again = ours_call(ott);
    EXPECT_EQ(replayed_again.exit_code, 1);
    EXPECT_NE(replayed_again.err.find("admission denied"), std::string::npos)
        << replayed_again.err;

    // aster/1 without admission.
    Status outcome = dial_rpc_without_admission(address);
    EXPECT_NE(outcome.message().find("403"), std::string::npos) << outcome.to_string();
    EXPECT_NE(outcome.message().find("not admitted"), std::string::npos) << outcome.to_string();
  }
}

// Gate 3 (`requires`), judged the same by a 0.1.2 producer and ours: upstream's chapter-5
// Mission Control (`python -m mission_control.server --auth`, vendored unchanged) and our
// `mission_control_producer --auth`, both trusting a root made by aster-cli 0.1.2. A credential
// 0.1.2 made (`-c ops.status`) and one ours made (`-c "ops.logs, ops.ingest"`) each pass the
// methods their roles allow and get 7 with 0.1.2's message on the others: for a 0.1.2 consumer
// (every pattern, tests/interop/py/requires_consumer.py) and for our `aster call --rcan`.
TEST_F(TrustFiles, RequiresIsJudgedLike012ByBothProducers) {
  ASSERT_EQ(theirs({"keygen", "root"}).exit_code, 0);
  const fs::path status_id = dir_ / "status-identity";
  const fs::path logs_id = dir_ / "logs-identity";
  auto r = theirs({"enroll", "node", "-r", "consumer", "-n", "st", "-c", "ops.status", "-o",
                   status_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = ours({"enroll", "node", "-r", "consumer", "-n", "li", "-c", "ops.logs, ops.ingest", "-o",
            logs_id.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  auto denied = [](const std::string& method) {
    return nlohmann::json{{"code", 7},
                          {"message", "capability check failed for method '" + method + "'"}};
  };
  const nlohmann::json status_expected = {
      {"admitted", true},
      {"getStatus", "ok"},
      {"tailLogs", denied("MissionControl.tailLogs")},
      {"ingestMetrics", denied("MissionControl.ingestMetrics")},
      {"register", denied("AgentSession.register")}};
  const nlohmann::json logs_expected = {{"admitted", true},
                                        {"getStatus", denied("MissionControl.getStatus")},
                                        {"tailLogs", "ok"},
                                        {"ingestMetrics", "ok"},
                                        {"register", "ok"}};

  const std::string root_pub = root_pub_env();
  const std::string upstream = std::string(ASTER_SOURCE_DIR) + "/tests/interop/upstream";
  interop::PeerCommand python_producer;
  python_producer.argv = {interop::reference_python(), "-u", "-m", "mission_control.server",
                          "--auth"};
  python_producer.env = {root_pub, "HOME=" + home_.string(),
                         "PYTHONPATH=" + upstream + "/examples/python"};
  python_producer.cwd = dir_.string();
  interop::PeerCommand our_producer;
  our_producer.argv = {std::string(ASTER_BINARY_DIR) +
                           "/examples/mission_control/mission_control_producer",
                       "--auth"};
  our_producer.env = {root_pub};

  for (const auto* producer : {&python_producer, &our_producer}) {
    SCOPED_TRACE(producer->argv[0]);
    interop::ReferencePeer peer(*producer);
    const std::string address = peer.ready_info()["line"];
    auto python = [&](const fs::path& identity) {
      auto out = interop::run_command(
          {interop::reference_python(),
           std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/requires_consumer.py", address,
           identity.string()},
          std::chrono::seconds(150), {"HOME=" + home_.string()});
      if (out.exit_code != 0) throw std::runtime_error("requires_consumer.py: " + out.err);
      return nlohmann::json::parse(out.out);
    };
    EXPECT_EQ(python(status_id), status_expected);
    EXPECT_EQ(python(logs_id), logs_expected);

    auto call = [&](const std::string& method, const std::string& args, const fs::path& id) {
      return ours({"call", address, method, args, "--rcan", id.string()});
    };
    const std::string status_args = R"({"agent_id": "edge-1"})";
    const std::string register_args =
        R"({"agent_id": "edge-1", "capabilities": ["gpu"], "load_avg": 0.5})";
    auto ok = call("MissionControl.getStatus", status_args, status_id);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find(R"("status": "running")"), std::string::npos) << ok.out;
    auto refused = call("AgentSession.register", register_args, status_id);
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("[PERMISSION_DENIED] capability check failed for method "
                               "'AgentSession.register'"),
              std::string::npos)
        << refused.err;
    ok = call("AgentSession.register", register_args, logs_id);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find(R"("task_id": "train-42")"), std::string::npos) << ok.out;
    refused = call("MissionControl.getStatus", status_args, logs_id);
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("[PERMISSION_DENIED] capability check failed for method "
                               "'MissionControl.getStatus'"),
              std::string::npos)
        << refused.err;
  }
}

}  // namespace
}  // namespace aster::trust
