// Metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
// format (version 0.0.4) by the prometheus plugin's /metrics.
//
// Registering (at setup or start, not per query):
//   auto& fam = metrics::Registry::global().counter(
//       "coredns_forward_requests_total", "Counter of requests made per upstream.", {"to"});
//   metrics::Counter& c = fam.with({"127.0.0.1:53"});   // takes a lock: keep the reference
// Counting (on the query path, any worker):
//   c.inc(ctx.worker().index);                            // relaxed add on that worker's shard
//
// Registering the same name again returns the same family (blocks and reloads share it;
// a different type or label set for a known name throws std::logic_error). Children live
// as long as the registry, so references stay valid. Families with labels and no child
// yet are not rendered, as in the Go client. Counters and histograms are sharded by the
// caller's worker index, so workers never write the same cache line.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::metrics {

constexpr int kShards = 16;  // shard = worker index % kShards

class Counter {
 public:
  void inc(int shard, uint64_t n = 1) {
    cells_[shard & (kShards - 1)].v.fetch_add(n, std::memory_order_relaxed);
  }
  // Its own count plus that of the plugin instances attached to it (OwnedCounter).
  uint64_t value() const;

  // For OwnedCounter: while attached, `c` counts toward this counter; on detach its count
  // is kept here, so the total never goes back when a reload replaces a plugin.
  void attach(const Counter* c);
  void detach(const Counter* c);

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  Cell cells_[kShards];
  mutable std::mutex attach_mu_;
  std::vector<const Counter*> attached_;
};

// A count a plugin instance keeps (for its own accessors: what this cache hit) that is also
// the registry child's (process-wide, as CoreDNS's counters, across reloads).
class OwnedCounter {
 public:
  explicit OwnedCounter(Counter& registered) : registered_(&registered) {
    registered_->attach(&own_);
  }
  OwnedCounter(const OwnedCounter&) = delete;
  OwnedCounter& operator=(const OwnedCounter&) = delete;
  ~OwnedCounter() { registered_->detach(&own_); }

  void inc(int shard, uint64_t n = 1) { own_.inc(shard, n); }
  uint64_t value() const { return own_.value(); }

 private:
  Counter own_;
  Counter* registered_;
};

// Not for the query path's hot counts: one shared value.
class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(int shard, double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double>& bounds_;
  size_t stride_;  // atomics per shard: buckets, +Inf, padded to a cache line
  std::unique_ptr<std::atomic<uint64_t>[]> storage_;
  std::atomic<uint64_t>* counts_;  // storage_ rounded up to a cache line
  struct alignas(64) Sum {
    std::atomic<double> v{0};
  };
  Sum sums_[kShards];
};

enum class Type { counter, gauge, histogram };

// One metric name with its label names; children per label values.
template <typename Child>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {});
  // The child for these label values (as many as label names), made on first use.
  Child& with(const std::vector<std::string>& values);
  Child& with(std::initializer_list<std::string_view> values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Calls f(values, child) in label-value order.
  template <typename F>
  void each(F&& f) const {
    std::lock_guard lock(mu_);
    for (auto& [k, v] : children_) f(k, *v);
  }

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Child>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry;

// A collector registered by a plugin instance: unregistered when the handle goes (the
// plugin's configuration was replaced by a reload).
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(Registry* r, uint64_t id) : registry_(r), id_(id) {}
  CollectorHandle(CollectorHandle&& o) noexcept : registry_(o.registry_), id_(o.id_) {
    o.registry_ = nullptr;
  }
  CollectorHandle& operator=(CollectorHandle&& o) noexcept;
  CollectorHandle(const CollectorHandle&) = delete;
  CollectorHandle& operator=(const CollectorHandle&) = delete;
  ~CollectorHandle();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

class Registry {
 public:
  static Registry& global();

  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> labels = {});
  // counter_type: a value set from elsewhere that only goes up (process_cpu_seconds_total),
  // shown with "# TYPE name counter".
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> labels = {}, bool counter_type = false);
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> labels, std::vector<double> bounds);
  // A gauge the collectors fill at each render: its children are zeroed, then every
  // collector adds its part (the entries of several blocks' caches sum).
  // `counter_type`: a count kept elsewhere that only goes up, shown as a counter.
  GaugeFamily& collected_gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labels = {}, bool counter_type = false);
  // Runs before every render, to refresh gauges read from elsewhere (process_*), for as long
  // as the process lives.
  void on_collect(std::function<void()> f);
  // The same for as long as the returned handle lives (a plugin's table sizes).
  [[nodiscard]] CollectorHandle collector(std::function<void()> f);

  // The Prometheus text format, families sorted by name.
  std::string render();

 private:
  friend class CollectorHandle;
  void remove_collector(uint64_t id);
  void collect();  // runs the collectors (collected gauges zeroed first)

  struct Entry {
    Type type;
    bool counter_type = false;
    bool collected = false;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  Entry& entry(const std::string& name, Type type, const std::vector<std::string>& labels);

  std::mutex mu_;
  std::map<std::string, Entry> families_;
  // Collectors run and are removed under their own lock, so a plugin's collector never runs
  // after its handle is gone.
  std::mutex collect_mu_;
  std::vector<std::function<void()>> permanent_collectors_;
  std::map<uint64_t, std::function<void()>> collectors_;
  uint64_t next_collector_ = 1;
};

// Prometheus' helpers: ExponentialBuckets(start, factor, count).
std::vector<double> exponential_buckets(double start, double factor, int count);
// A float as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it ("0.00025", "+Inf").
std::string format_value(double v);
// Label value escaping: backslash, double quote, newline.
std::string escape_label(std::string_view v);

// process_* metrics from /proc/self, refreshed at each render (once per process).
void register_process_metrics(Registry& r);

}  // namespace cxxdns::metrics
