// The operator new and delete of the binaries that count allocations (allocation_count.h).
// Every form is replaced, so all of new/delete agree on malloc/free (sanitizers check that).
#include "test/support/allocation_count.h"

#include <cstdlib>
#include <new>

namespace cxxdns::testing {
std::atomic<bool> counting_allocations{false};
std::atomic<size_t> allocations_counted{0};
}  // namespace cxxdns::testing

using cxxdns::testing::allocations_counted;
using cxxdns::testing::counting_allocations;

void* operator new(std::size_t n) {
  if (counting_allocations.load(std::memory_order_relaxed)) allocations_counted.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting_allocations.load(std::memory_order_relaxed)) allocations_counted.fetch_add(1);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
