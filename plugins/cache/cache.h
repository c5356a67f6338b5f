// cache: answers repeated questions from a store shared by all workers, as CoreDNS's cache.
// A hit copies the stored wire into the context's reused buffer and patches it in place
// (ID, question case, TTLs): no parsing, no allocation. A miss registers a reply hook and
// stores what the plugins after it answered.
#pragma once

#include <memory>
#include <vector>

#include "core/dns/name.h"
#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/cache/config.h"
#include "plugins/cache/response.h"
#include "plugins/cache/store.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins::cache {

class Cache final : public Plugin, public ReplyHook {
 public:
  explicit Cache(CacheConfig cfg);
  std::string_view name() const override { return "cache"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;

  const CacheConfig& config() const { return cfg_; }
  // For tests: the clock the store ages entries by (monotonic nanoseconds).
  void set_clock(uint64_t (*clock)()) { clock_ = clock; }

  // This cache's counts, named after the CoreDNS metrics they feed.
  size_t entries_success() const { return store_.entries(Pool::success); }  // ..._entries
  size_t entries_denial() const { return store_.entries(Pool::denial); }
  uint64_t hits_success() const { return hits_success_.value(); }  // coredns_cache_hits_total
  uint64_t hits_denial() const { return hits_denial_.value(); }
  uint64_t misses() const { return misses_.value(); }  // coredns_cache_misses_total
  uint64_t requests() const {                          // coredns_cache_requests_total
    return hits_success() + hits_denial() + misses();
  }
  uint64_t drops() const { return drops_.value(); }                // coredns_cache_drops_total
  uint64_t prefetches() const { return prefetch_.value(); }        // coredns_cache_prefetch_total
  uint64_t served_stale() const { return served_stale_.value(); }  // ..._served_stale_total
  uint64_t evictions_success() const { return store_.evictions(Pool::success); }  // ..._total
  uint64_t evictions_denial() const { return store_.evictions(Pool::denial); }
  size_t bytes_success() const { return store_.bytes(Pool::success); }  // cxxdns_cache_size_bytes
  size_t bytes_denial() const { return store_.bytes(Pool::denial); }
  size_t capacity_success() const { return store_.capacity(Pool::success); }
  size_t capacity_denial() const { return store_.capacity(Pool::denial); }

 private:
  enum Cookie : uint64_t { kMiss = 0, kVerifyStale = 1 };

  // Stores the answer in `ctx` when it may be cached; true (and the TTL it got) when stored.
  bool store(QueryContext& ctx, uint32_t* ttl_out);
  // A refresh query's answer.
  void refreshed(QueryContext& answered);
  // Verify mode, upstream failed: replaces ctx's answer by the stale entry; false if none.
  bool serve_stale_copy(QueryContext& ctx);
  // Serves the entry just copied into the response, its TTLs set to `ttl`; sends a refresh
  // when the lookup asks for one.
  Verdict answer(QueryContext& ctx, const Lookup& r, uint32_t ttl);
  // The shape of the copy just made, from what the entry keeps.
  static const dns::AnswerShape& copy_shape(QueryContext& ctx, const Lookup& r);

  CacheConfig cfg_;
  pkg::Zones zones_, success_off_, denial_off_;
  Store store_;
  PrefetchRule prefetch_rule_;
  uint64_t (*clock_)() = &QueryContext::now_ns;
  metrics::OwnedCounter hits_success_, hits_denial_, misses_, prefetch_, served_stale_, drops_;
  metrics::CollectorHandle gauges_;  // coredns_cache_entries, evictions
};

}  // namespace cxxdns::plugins::cache
