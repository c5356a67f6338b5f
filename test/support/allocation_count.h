// Counts heap allocations (global operator new) while a piece of code runs, to show that a
// path allocates nothing. allocation_count.cpp replaces operator new and delete; a test
// binary that uses this links it once.
#pragma once

#include <atomic>
#include <cstddef>

namespace cxxdns::testing {

extern std::atomic<bool> counting_allocations;
extern std::atomic<size_t> allocations_counted;

// How many times `f()` called operator new.
template <typename F>
size_t count_allocations(F&& f) {
  allocations_counted = 0;
  counting_allocations = true;
  f();
  counting_allocations = false;
  return allocations_counted.load();
}

}  // namespace cxxdns::testing
