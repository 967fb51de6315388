// `aster service ls` — our native tool against a real aster-rpc 0.1.2 producer (dev mode),
// running the consumer admission exchange on `aster.consumer_admission`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reference_peer.hpp"

namespace aster::interop {
namespace {

const std::string kAster = std::string(ASTER_BINARY_DIR) + "/cli/aster";

class ServiceLs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = new ReferencePeer("hello_producer.py", {"--many"}); }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
  }
  static const nlohmann::json& info() { return peer_->ready_info(); }
  static ReferencePeer* peer_;
};
ReferencePeer* ServiceLs::peer_ = nullptr;

TEST_F(ServiceLs, PrintsTheProducersServicesAsATable) {
  auto result = run_command({kAster, "service", "ls", info()["ticket"]});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Service"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Contract id"), std::string::npos) << result.out;
  for (const auto& service : info()["services"]) {
    const std::string name = service["name"];
    const auto line_at = result.out.find(name);
    ASSERT_NE(line_at, std::string::npos) << result.out;
    const std::string line = result.out.substr(line_at, result.out.find('\n', line_at) - line_at);
    EXPECT_NE(line.find("v" + std::to_string(service["version"].get<int>())), std::string::npos)
        << line;
    EXPECT_NE(line.find("shared"), std::string::npos) << line;
    EXPECT_NE(line.find(service["contract_id"].get<std::string>()), std::string::npos) << line;
  }
  EXPECT_NE(result.out.find("Registry namespace: "), std::string::npos) << result.out;
}

TEST_F(ServiceLs, JsonIsTheAdmissionResponseAsSent) {
  auto result = run_command({kAster, "service", "ls", "--json", info()["node_addr_b64"]});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto doc = nlohmann::json::parse(result.out);
  ASSERT_TRUE(doc["services"].is_array());
  ASSERT_EQ(doc["services"].size(), info()["services"].size());
  for (size_t i = 0; i < doc["services"].size(); ++i) {
    const auto& sent = doc["services"][i];
    EXPECT_EQ(sent["name"], info()["services"][i]["name"]);
    EXPECT_EQ(sent["version"], info()["services"][i]["version"]);
    EXPECT_EQ(sent["contract_id"], info()["services"][i]["contract_id"]);
    EXPECT_EQ(sent["pattern"], "shared");
    EXPECT_TRUE(sent["serialization_modes"].is_array());
    EXPECT_TRUE(sent["channels"]["rpc"].is_string());
  }
  EXPECT_EQ(doc["registry_namespace"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["root_pubkey"].get<std::string>().size(), 64u);
}

TEST_F(ServiceLs, TakesTheAddressFromTheEnvironment) {
  auto result = run_command({kAster, "service", "ls", "--json"}, std::chrono::seconds(60),
                            {"ASTER_ENDPOINT_ADDR=" + info()["ticket"].get<std::string>()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["services"].size(), info()["services"].size());
}

TEST(ServiceLsErrors, MalformedAddressIsOneClearLine) {
  auto result = run_command({kAster, "service", "ls", "aster1notbase58!"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("invalid base58 character"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST(ServiceLsErrors, UnreachablePeerFailsWithinTheTimeout) {
  // A well-formed address of a peer that does not exist: loopback port 9 (discard) is closed.
  const std::string id(64, 'a');
  const std::string text = id + "\n\n127.0.0.1:9";
  auto encoded = run_command({"sh", "-c", "printf '%s' \"$0\" | base64 -w0", text});
  ASSERT_EQ(encoded.exit_code, 0);
  const auto start = std::chrono::steady_clock::now();
  auto result = run_command({kAster, "service", "ls", "--timeout", "3", encoded.out});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("error:"), std::string::npos) << result.err;
  EXPECT_LT(elapsed, std::chrono::seconds(30));  // bounded, not a timing assertion on speed
}

TEST(ServiceLsErrors, NoAddressAtAllSaysSo) {
  auto result = run_command({kAster, "service", "ls"}, std::chrono::seconds(30),
                            {"ASTER_ENDPOINT_ADDR="});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("ASTER_ENDPOINT_ADDR"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace aster::interop
