#include "allocation_probe.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local bool g_armed = false;
thread_local size_t g_largest = 0;

void* allocate(size_t n) {
  if (g_armed && n > g_largest) g_largest = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

namespace aster::testing {
AllocationProbe::AllocationProbe() {
  g_largest = 0;
  g_armed = true;
}
AllocationProbe::~AllocationProbe() { g_armed = false; }
size_t AllocationProbe::largest() const { return g_largest; }
}  // namespace aster::testing

// Replaceable global allocation functions ([new.delete.single]); ASan still sees malloc/free.
void* operator new(size_t n) { return allocate(n); }
void* operator new[](size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): otherwise they stay
// ASan's and their blocks reach the free() above — alloc-dealloc-mismatch under the asan preset.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
