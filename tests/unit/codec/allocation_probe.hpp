// Counts the largest single heap allocation made while a probe is alive (global operator new
// is replaced in allocation_probe.cpp, for this test binary only). Lets a test prove that a
// hostile length or count is refused before the decoder reserves memory for it.
#pragma once

#include <cstddef>

namespace aster::testing {

class AllocationProbe {
 public:
  AllocationProbe();
  ~AllocationProbe();
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;

  // Largest request seen on this thread since construction.
  size_t largest() const;
};

}  // namespace aster::testing
