// New fake mappings per client address: a token bucket each, kept in a fixed table (a keyed
// hash of the address picks the bucket; IPv6 clients count by their /64), so memory does not
// grow with the number of clients and no client can pick the bucket of another.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class ClientRateLimit {
 public:
  // `per_second` 0: no limit.
  ClientRateLimit(double per_second, double burst);

  // Takes one new mapping from the client's allowance at `now_ns`; false when it has none.
  bool allow(const ClientAddress& client, uint64_t now_ns);

 private:
  static constexpr size_t kBuckets = 4096;
  struct Bucket {
    double tokens = 0;
    uint64_t last_ns = 0;
    bool used = false;
  };

  double per_second_, burst_;
  uint64_t seed_;
  std::mutex mu_;
  std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace cxxdns::plugins
