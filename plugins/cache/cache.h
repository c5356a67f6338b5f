// cache: answers repeated questions from a store shared by all workers, as CoreDNS's cache.
// A hit copies the stored wire into the context's reused buffer and patches it in place
// (ID, question case, TTLs): no parsing, no allocation. A miss registers a reply hook and
// stores what the plugins after it answered.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/dns/name.h"
#include "core/plugin/context.h"
#include "plugins/cache/config.h"
#include "plugins/cache/response.h"
#include "plugins/cache/store.h"

namespace cxxdns::plugins::cache {

class Cache final : public Plugin {
 public:
  explicit Cache(CacheConfig cfg);
  std::string_view name() const override { return "cache"; }
  void serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;

  const CacheConfig& config() const { return cfg_; }
  // For tests: the clock the store ages entries by (monotonic nanoseconds).
  void set_clock(uint64_t (*clock)()) { clock_ = clock; }

  // Counters, named after the CoreDNS metrics they feed.
  size_t entries_success() const { return store_.entries(Pool::success); }  // ..._entries
  size_t entries_denial() const { return store_.entries(Pool::denial); }
  uint64_t hits_success() const { return load(hits_success_); }  // coredns_cache_hits_total
  uint64_t hits_denial() const { return load(hits_denial_); }
  uint64_t misses() const { return load(misses_); }  // coredns_cache_misses_total
  uint64_t requests() const {                        // coredns_cache_requests_total
    return hits_success() + hits_denial() + misses();
  }
  uint64_t drops() const { return load(drops_); }                // coredns_cache_drops_total
  uint64_t prefetches() const { return load(prefetch_); }        // coredns_cache_prefetch_total
  uint64_t served_stale() const { return load(served_stale_); }  // ..._served_stale_total
  uint64_t evictions_success() const { return store_.evictions(Pool::success); }  // ..._total
  uint64_t evictions_denial() const { return store_.evictions(Pool::denial); }
  void collect_metrics(std::vector<metrics::Sample>& out) const override;
  size_t bytes_success() const { return store_.bytes(Pool::success); }  // cxxdns_cache_size_bytes
  size_t bytes_denial() const { return store_.bytes(Pool::denial); }
  size_t capacity_success() const { return store_.capacity(Pool::success); }
  size_t capacity_denial() const { return store_.capacity(Pool::denial); }

 private:
  enum Cookie : uint64_t { kMiss = 0, kVerifyStale = 1 };

  // Receives the answers of the cache's own refresh queries.
  class RefreshSink final : public ReplySink {
   public:
    explicit RefreshSink(Cache& c) : cache_(c) {}
    void deliver(QueryContext& ctx) override;

   private:
    Cache& cache_;
  };

  static uint64_t load(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }
  bool in_zones(const dns::Name& qname, const std::vector<dns::Name>& zones) const;
  // Stores an answer to q when it may be cached; true (and the TTL it got) when stored.
  bool store(const dns::QueryView& q, std::span<const uint8_t> wire, uint32_t* ttl_out);
  // Verify mode, upstream failed: replaces ctx's answer by the stale entry; false if none.
  bool serve_stale_copy(QueryContext& ctx);
  // Serves the entry just copied into ctx.response(); sends a refresh when asked to.
  void answer(QueryContext& ctx, uint32_t ttl, bool refresh);

  CacheConfig cfg_;
  std::vector<dns::Name> zones_, success_off_, denial_off_;
  Store store_;
  PrefetchRule prefetch_rule_;
  uint64_t (*clock_)() = &QueryContext::now_ns;
  RefreshSink sink_{*this};
  std::atomic<uint64_t> hits_success_{0}, hits_denial_{0}, misses_{0}, prefetch_{0},
      served_stale_{0}, drops_{0};
};

}  // namespace cxxdns::plugins::cache
