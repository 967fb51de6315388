// Admission JSON against the bytes aster-rpc 0.1.2's own writers produce
// (ConsumerAdmissionRequest/Response.to_json, run in the reference venv).
#include "aster/trust/admission_messages.hpp"

#include <gtest/gtest.h>

namespace aster::trust {
namespace {

constexpr std::string_view kPythonResponse =
    R"({"admitted":true,"attributes":{"aster.role":"ops","\u00fc":"\u00e9"},"services":[{"name":)"
    R"("HelloService","version":1,"contract_id":"3c9e9a5ca259ad5c4bb02fef721db7377e563a76042daa9)"
    R"(ea88b1850112afd8f","channels":{"rpc":"YWJj"},"pattern":"shared","serialization_modes":[]}],)"
    R"("registry_namespace":"abababababababababababababababababababababababababababababababab",)"
    R"("root_pubkey":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","reason":""})";

TEST(ConsumerAdmissionRequest, OpenGateIs37BytesAsPythonWritesIt) {
  const std::string open = ConsumerAdmissionRequest{}.to_json();
  EXPECT_EQ(open, R"({"credential_json":"","iid_token":""})");
  EXPECT_EQ(open.size(), 37u);
  EXPECT_EQ((ConsumerAdmissionRequest{"{\"a\":\"\xc3\xbc\"}", ""}.to_json()),
            R"({"credential_json":"{\"a\":\"\u00fc\"}","iid_token":""})");
}

TEST(ConsumerAdmissionRequest, ParsesAnyKeyOrderAndNullToken) {
  auto parsed = ConsumerAdmissionRequest::from_json(R"({"iid_token":null,"credential_json":"x"})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->credential_json, "x");
  EXPECT_EQ(parsed->iid_token, "");
  EXPECT_FALSE(ConsumerAdmissionRequest::from_json(R"({"iid_token":""})"));
  EXPECT_FALSE(ConsumerAdmissionRequest::from_json("[1]"));
}

TEST(ConsumerAdmissionResponse, RoundTripsPythonBytesExactly) {
  auto parsed = ConsumerAdmissionResponse::from_json(kPythonResponse);
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  EXPECT_TRUE(parsed->admitted);
  ASSERT_EQ(parsed->services.size(), 1u);
  EXPECT_EQ(parsed->services[0].name, "HelloService");
  EXPECT_EQ(parsed->services[0].version, 1);
  EXPECT_EQ(parsed->services[0].channels.at("rpc"), "YWJj");
  EXPECT_EQ(parsed->registry_namespace.size(), 64u);
  EXPECT_EQ(parsed->attributes["\xc3\xbc"], "\xc3\xa9");
  EXPECT_EQ(parsed->to_json(), kPythonResponse);
  EXPECT_EQ(parsed->services_as_sent.size(), 1u);
  EXPECT_EQ(parsed->services_as_sent[0]["name"], "HelloService");
}

TEST(ConsumerAdmissionResponse, FollowsPythonFallbacks) {
  auto parsed = ConsumerAdmissionResponse::from_json(
      R"({"admitted":false,"registry_ticket":"old","services":[{"name":"S","version":2,)"
      R"("contract_id":"c","pattern":null}]})");
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  EXPECT_FALSE(parsed->admitted);
  EXPECT_EQ(parsed->registry_namespace, "old");
  EXPECT_EQ(parsed->services.at(0).pattern, "shared");
  EXPECT_TRUE(parsed->services.at(0).channels.empty());
}

TEST(ConsumerAdmissionResponse, BadInputNamesTheField) {
  auto message = [](std::string_view text) {
    auto parsed = ConsumerAdmissionResponse::from_json(text);
    EXPECT_FALSE(parsed) << text;
    return parsed.status().message();
  };
  EXPECT_EQ(message("{"), "malformed admission response: not valid JSON");
  EXPECT_EQ(message("{}"), "malformed admission response: admitted missing");
  EXPECT_EQ(message(R"({"admitted":"false"})"),
            "malformed admission response: admitted is not a boolean");
  EXPECT_EQ(message(R"({"admitted":true,"services":[{"name":"S","version":"1"}]})"),
            "malformed admission response: services[0].version missing or not an integer");
  EXPECT_EQ(message(R"({"admitted":true,"services":[{"name":"S","version":1,"contract_id":"c",)"
                    R"("channels":{"rpc":7}}]})"),
            "malformed admission response: services[0].channels.rpc is not a string");
}

}  // namespace
}  // namespace aster::trust
