// fakeip: the fake-IP DNS of Clash/mihomo-style transparent proxy gateways. A and AAAA
// queries get an address from a private pool, one per name, so that the gateway can map
// the connection's destination address back to the name; PTR of a pool address answers
// the name. See README.md.
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/fakeip/filter.h"
#include "plugins/fakeip/pool.h"
#include "plugins/fakeip/rate_limit.h"

namespace cxxdns::plugins {

struct FakeipOptions {
  std::vector<std::string> zones;  // canonical
  Cidr range4;
  Cidr range6;
  bool has_range6 = false;
  uint32_t ttl = 1;
  Filter filter;
  std::string persist;  // empty: none
  bool verify = false;
  std::vector<std::string> fallthrough;  // zones; empty with fallthrough_set = all
  bool fallthrough_set = false;
  // A mapping used (handed out, looked up) less than ttl + grace seconds ago is never
  // recycled for another name.
  uint64_t grace_s = 600;
  uint64_t size = FakePool::kDefaultSize;  // mappings a pool keeps at most
  // New mappings per client address: per second (0: no limit) and burst.
  double rate = 20;
  double burst = 200;
};

class Fakeip final : public Plugin {
 public:
  explicit Fakeip(FakeipOptions opts);
  std::string_view name() const override { return "fakeip"; }
  void serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;
  void start(ControlInfo& control) override;
  void stop() override;

  // Writes the persist file now when the mappings changed since the last write.
  void save_if_changed();

  // Metrics, named after what they will feed.
  uint64_t allocations_total() const {
    return allocations_.load(std::memory_order_relaxed);
  }                            // cxxdns_fakeip_allocations_total
  uint64_t pool_used() const;  // cxxdns_fakeip_pool_used
  void collect_metrics(std::vector<metrics::Sample>& out) const override;
  uint64_t recycled_total() const {
    return recycled_.load(std::memory_order_relaxed);
  }  // cxxdns_fakeip_recycled_total
  uint64_t filtered_total() const {
    return filtered_.load(std::memory_order_relaxed);
  }  // cxxdns_fakeip_filtered_total
  uint64_t exhausted_total() const {
    return exhausted_.load(std::memory_order_relaxed);
  }  // cxxdns_fakeip_exhausted_total
  uint64_t rate_limited_total() const {
    return rate_limited_.load(std::memory_order_relaxed);
  }  // cxxdns_fakeip_rate_limited_total
  // For tests: the clock mappings are aged by (monotonic nanoseconds).
  void set_clock(uint64_t (*clock)()) { clock_ = clock; }

  FakePool& pool4() { return *pool4_; }
  FakePool* pool6() { return pool6_.get(); }

 private:
  bool falls_through(std::string_view qname) const;
  // Writes the fake answer for the query into ctx.response(); when the pool has no address
  // for a new name (exhausted, or the client over its rate), returns why instead.
  std::string write_fake(QueryContext& ctx, FakePool& pool);
  void write_nodata(QueryContext& ctx);
  void serve_ptr(QueryContext& ctx);
  uint64_t versions() const;
  // The persist file: appends the new mappings, or rewrites it (first write after a reload,
  // a journal that overflowed, or twice as many lines as mappings).
  std::string write_persist_file();

  FakeipOptions opts_;
  std::shared_ptr<FakePool> pool4_, pool6_;  // kept across reloads: the mapping survives
  std::vector<FakePool*> pools_;
  std::atomic<uint64_t> allocations_{0}, recycled_{0}, filtered_{0}, exhausted_{0},
      rate_limited_{0};
  ClientRateLimit limit_;
  uint64_t (*clock_)() = &QueryContext::now_ns;
  uint64_t saved_version_ = 0;
  bool save_failing_ = false;
  std::vector<int> journals_;  // one per pool while persisting
  bool rewrite_ = false;       // the next write rewrites the file
  size_t lines_in_file_ = 0;
  uv_timer_t timer_;
  bool timer_started_ = false;
};

}  // namespace cxxdns::plugins
