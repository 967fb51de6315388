// The RPC interop matrix (pattern × direction × case → passed), filled by the RPC interop
// tests (rpc_interop_test.cpp, session_interop_test.cpp) and printed once when the test
// program ends.
#pragma once

#include <string>

namespace aster::interop {

void record(const std::string& pattern, const std::string& direction, const std::string& c,
            bool passed);

}  // namespace aster::interop
