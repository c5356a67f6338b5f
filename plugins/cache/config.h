// The cache plugin's settings, as `cache [TTL] [ZONES...] { ... }` gives them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cxxdns::plugins::cache {

enum class StaleMode : uint8_t { immediate, verify };

struct TypeConfig {
  size_t capacity = 9984;
  uint32_t max_ttl;  // seconds
  uint32_t min_ttl = 5;
  std::vector<std::string> disabled_zones;  // `disable TYPE [ZONES]`
};

struct CacheConfig {
  std::vector<std::string> zones;  // canonical
  TypeConfig success{9984, 3600, 5, {}};
  TypeConfig denial{9984, 1800, 5, {}};
  uint32_t prefetch_amount = 0;  // 0: prefetch off
  uint64_t prefetch_duration_ns = 60ull * 1000000000ull;
  uint32_t prefetch_percentage = 10;
  uint64_t stale_ns = 0;  // 0: serve_stale off
  StaleMode stale_mode = StaleMode::immediate;
  uint32_t servfail_ttl = 5;  // seconds; 0: SERVFAIL not cached
  bool keepttl = false;
  // Bytes the entries of both kinds may take together (max_bytes; not in CoreDNS).
  size_t max_bytes = size_t(64) << 20;
};

}  // namespace cxxdns::plugins::cache
