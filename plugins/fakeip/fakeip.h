// fakeip: the fake-IP DNS of Clash/mihomo-style transparent proxy gateways. A and AAAA
// queries get an address from a private pool, one per name, so that the gateway can map
// the connection's destination address back to the name; PTR of a pool address answers
// the name. See README.md.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/fakeip/filter.h"
#include "plugins/fakeip/pool.h"
#include "plugins/fakeip/rate_limit.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/timer.h"
#include "plugins/pkg/zones.h"

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
  pkg::Fallthrough fallthrough;
  // A mapping used (handed out, looked up) less than ttl + grace seconds ago is never
  // recycled for another name.
  uint64_t grace_s = 600;
  uint64_t size = FakePool::kDefaultSize;  // mappings a pool keeps at most
  // New mappings per client address: per second (0: no limit) and burst.
  double rate = 20;
  double burst = 200;
};

class Fakeip final : public Plugin, public ReplyHook {
 public:
  explicit Fakeip(FakeipOptions opts);
  std::string_view name() const override { return "fakeip"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;
  // On the control loop: loads the persist file and writes it as mappings change.
  void start(ControlInfo& control);
  void stop();

  // Writes the persist file now when the mappings changed since the last write.
  void save_if_changed();

  // Metrics (process-wide counters, as every plugin's; these accessors: this instance's).
  uint64_t allocations_total() const { return allocations_.value(); }  // ..._allocations_total
  uint64_t pool_used() const;                                          // cxxdns_fakeip_pool_used
  uint64_t recycled_total() const { return recycled_.value(); }    // cxxdns_fakeip_recycled_total
  uint64_t filtered_total() const { return filtered_.value(); }    // cxxdns_fakeip_filtered_total
  uint64_t exhausted_total() const { return exhausted_.value(); }  // ..._exhausted_total
  uint64_t rate_limited_total() const { return rate_limited_.value(); }  // ..._rate_limited_total
  // For tests: the clock mappings are aged by (monotonic nanoseconds).
  void set_clock(uint64_t (*clock)()) { clock_ = clock; }

  FakePool& pool4() { return *pool4_; }
  FakePool* pool6() { return pool6_.get(); }

 private:
  // Writes the fake answer for the query into ctx.response(); when the pool has no address
  // for a new name (exhausted, or the client over its rate), returns why instead.
  std::string write_fake(QueryContext& ctx, FakePool& pool);
  void write_nodata(QueryContext& ctx);
  Verdict serve_ptr(QueryContext& ctx);
  uint64_t versions() const;
  // The persist file: appends the new mappings, or rewrites it (first write after a reload,
  // a journal that overflowed, or twice as many lines as mappings).
  std::string write_persist_file();

  FakeipOptions opts_;
  pkg::Zones zones_;
  std::shared_ptr<FakePool> pool4_, pool6_;  // kept across reloads: the mapping survives
  std::vector<FakePool*> pools_;
  metrics::OwnedCounter allocations_, recycled_, filtered_, exhausted_, rate_limited_;
  metrics::CollectorHandle pool_used_metric_;
  ClientRateLimit limit_;
  uint64_t (*clock_)() = &QueryContext::now_ns;
  uint64_t saved_version_ = 0;
  bool save_failing_ = false;
  std::vector<int> journals_;  // one per pool while persisting
  bool rewrite_ = false;       // the next write rewrites the file
  size_t lines_in_file_ = 0;
  pkg::Timer timer_;
};

}  // namespace cxxdns::plugins
