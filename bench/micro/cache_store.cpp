// The cache store under a stream of new names, as a forwarded miss meets it: a lookup that
// misses, then the answer stored, in a store whose 100,000 success slots are full (so every
// store evicts). The rest of a forwarded miss is the kernel's and forward's.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>
#include <cstdio>
#include <vector>

#include "core/dns/message.h"
#include "plugins/cache/store.h"

using namespace cxxdns::plugins::cache;

namespace {

// The key of `u<N>.bench.test. IN A`, as the cache makes it from a query.
Key key_of(uint32_t n) {
  cxxdns::dns::QueryView q;
  char label[16];
  int len = std::snprintf(label, sizeof label, "u%u", n);
  auto& name = q.qname_lower;
  name.data[0] = static_cast<uint8_t>(len);
  std::memcpy(name.data + 1, label, static_cast<size_t>(len));
  static const uint8_t kZone[] = {5, 'b', 'e', 'n', 'c', 'h', 4, 't', 'e', 's', 't', 0};
  std::memcpy(name.data + 1 + len, kZone, sizeof kZone);
  name.len = static_cast<uint8_t>(1 + len + sizeof kZone);
  q.qtype = 1;
  q.qclass = 1;
  return Key::of(q);
}

}  // namespace

TEST_CASE("cache store: miss, then store with an eviction", "[micro]") {
  constexpr uint32_t kCapacity = 100000;
  Store store(kCapacity, 9984);
  // A typical forwarded answer: the question and one A record (44 bytes for these names).
  const std::vector<uint8_t> answer(44, 0x2a);
  std::vector<uint8_t> out;
  uint32_t next = 0;
  for (; next < 2 * kCapacity; ++next) store.insert(Pool::success, key_of(next), answer, 3600, 1);
  REQUIRE(store.entries(Pool::success) >= kCapacity - Store::kShards);
  REQUIRE(store.evictions(Pool::success) > 0);

  BENCHMARK("cache store: lookup miss + insert (100,000 full, unique names)") {
    const Key k = key_of(next++);
    const bool hit = store.lookup(k, 2, 0, {}, false, false, out).found != Found::none;
    store.insert(Pool::success, k, answer, 3600, 2);
    return hit;
  };
}
