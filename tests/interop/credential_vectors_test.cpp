// The credential vectors the trust unit tests keep (tests/unit/trust/vectors/credentials.json)
// against a fresh run of aster-rpc 0.1.2's signing code (tests/interop/py/credential_vectors.py):
// if either side changes, this fails.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "reference_peer.hpp"

namespace aster::trust {
namespace {

TEST(CredentialVectors, KeptFileEqualsA012Run) {
  auto r = interop::run_command({interop::reference_python(),
                                 std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/credential_vectors.py"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(std::string(ASTER_SOURCE_DIR) + "/tests/unit/trust/vectors/credentials.json");
  std::stringstream kept;
  kept << in.rdbuf();
  EXPECT_EQ(nlohmann::ordered_json::parse(r.out), nlohmann::ordered_json::parse(kept.str()));
}

}  // namespace
}  // namespace aster::trust
