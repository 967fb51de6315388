#include "interop_matrix.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>

namespace aster::interop {

// pattern × direction × case → passed; printed by the environment at exit.
namespace {

std::map<std::string, bool>& matrix() {
  static std::map<std::string, bool> m;
  return m;
}
}  // namespace

void record(const std::string& pattern, const std::string& direction, const std::string& c,
            bool passed) {
  matrix()[pattern + " | " + direction + " | " + c] = passed;
}

namespace {

class MatrixPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (matrix().empty()) return;
    std::printf("\n## RPC interop matrix (pattern | direction | case)\n\n");
    std::printf("| pattern | direction | case | result |\n|---|---|---|---|\n");
    for (const auto& [key, ok] : matrix()) {
      std::string row = key;
      for (size_t p; (p = row.find(" | ")) != std::string::npos;) row.replace(p, 3, "\x1f");
      std::string cells;
      for (char ch : row) cells += ch == '\x1f' ? std::string(" | ") : std::string(1, ch);
      std::printf("| %s | %s |\n", cells.c_str(), ok ? "pass" : "FAIL");
    }
    std::fflush(stdout);
    // ctest runs each test in its own process: the rows also go to one file that
    // scripts/test.sh prints, whole, at the end of the run (tests/interop/print_matrix.py).
    if (const char* path = std::getenv("ASTER_INTEROP_MATRIX_FILE"); path && *path) {
      if (FILE* f = std::fopen(path, "a")) {
        for (const auto& [key, ok] : matrix()) {
          std::fprintf(f, "%s | %s\n", key.c_str(), ok ? "pass" : "FAIL");
        }
        std::fclose(f);
      }
    }
  }
};
const auto* const kMatrix = ::testing::AddGlobalTestEnvironment(new MatrixPrinter);

}  // namespace

}  // namespace aster::interop
