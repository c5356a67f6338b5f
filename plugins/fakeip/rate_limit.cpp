#include "plugins/fakeip/rate_limit.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace cxxdns::plugins {

ClientRateLimit::ClientRateLimit(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(burst, 1.0)), buckets_(new Bucket[kBuckets]) {
  std::random_device rd;
  seed_ = (uint64_t(rd()) << 32) ^ rd();
}

bool ClientRateLimit::allow(const ClientAddress& client, uint64_t now_ns) {
  if (per_second_ <= 0) return true;
  auto b = client.bytes();
  uint64_t key = 0;
  std::memcpy(&key, b.data(), std::min<size_t>(b.size(), 8));  // IPv4, or an IPv6 /64
  uint64_t h = (key ^ seed_) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  std::lock_guard lock(mu_);
  Bucket& bucket = buckets_[h % kBuckets];
  if (!bucket.used || now_ns < bucket.last_ns) {
    bucket = Bucket{burst_, now_ns, true};
  } else {
    double refill = double(now_ns - bucket.last_ns) / 1e9 * per_second_;
    bucket.tokens = std::min(burst_, bucket.tokens + refill);
    bucket.last_ns = now_ns;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace cxxdns::plugins
