// Admission JSON against aster-rpc 0.1.2's own writers, run now in the reference venv
// (tests/interop/py/admission_vectors.py): our writer must give their bytes exactly from the
// same fields, and our reader must round-trip them. (The unit tests in tests/unit/trust keep
// a few such outputs as literals; this test is where they come from.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aster/trust/admission_messages.hpp"
#include "reference_peer.hpp"

namespace aster::trust {
namespace {

nlohmann::ordered_json python_vectors() {
  auto r = interop::run_command({interop::reference_python(),
                                 std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/admission_vectors.py"});
  if (r.exit_code != 0) throw std::runtime_error("admission_vectors.py failed: " + r.err);
  return nlohmann::ordered_json::parse(r.out);  // keeps Python's dict order
}

TEST(AdmissionJson, RequestsMatchPythonBytes) {
  auto vectors = python_vectors();
  ASSERT_FALSE(vectors["requests"].empty());
  for (const auto& v : vectors["requests"]) {
    const std::string want = v["json"];
    ConsumerAdmissionRequest ours{v["fields"]["credential_json"], v["fields"]["iid_token"]};
    EXPECT_EQ(ours.to_json(), want);
    auto parsed = ConsumerAdmissionRequest::from_json(want);
    ASSERT_TRUE(parsed) << parsed.status().to_string();
    EXPECT_EQ(parsed->to_json(), want);
  }
}

TEST(AdmissionJson, ResponsesMatchPythonBytes) {
  auto vectors = python_vectors();
  ASSERT_FALSE(vectors["responses"].empty());
  for (const auto& v : vectors["responses"]) {
    const std::string want = v["json"];
    const auto& f = v["fields"];
    ConsumerAdmissionResponse ours;
    ours.admitted = f["admitted"];
    // Python dicts keep insertion order; the vector's JSON text keeps it too.
    ours.attributes = f["attributes"];
    for (const auto& s : f["services"]) {
      ServiceSummary summary;
      summary.name = s["name"];
      summary.version = s["version"];
      summary.contract_id = s["contract_id"];
      for (const auto& [k, val] : s["channels"].items()) summary.channels[k] = val;
      summary.pattern = s["pattern"];
      for (const auto& m : s["serialization_modes"]) summary.serialization_modes.push_back(m);
      ours.services.push_back(summary);
    }
    ours.registry_namespace = f["registry_namespace"];
    ours.root_pubkey = f["root_pubkey"];
    ours.gossip_topic = f["gossip_topic"];
    EXPECT_EQ(ours.to_json(), want);
    auto parsed = ConsumerAdmissionResponse::from_json(want);
    ASSERT_TRUE(parsed) << parsed.status().to_string();
    EXPECT_EQ(parsed->to_json(), want);
  }
}

}  // namespace
}  // namespace aster::trust
