// The Catch2 main of the micro benchmarks, and the global allocation counter they share:
// operator new counts while `counting` is set, so a benchmark can show that a path allocates
// nothing.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "bench/micro/micro.h"

namespace micro {
std::atomic<bool> counting{false};
std::atomic<size_t> allocations{0};
}  // namespace micro

void* operator new(std::size_t n) {
  if (micro::counting.load(std::memory_order_relaxed)) micro::allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
