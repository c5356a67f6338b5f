// forward's per-upstream metrics under CoreDNS's names (plugin/pkg/proxy, since 1.11):
//   coredns_proxy_request_duration_seconds{proxy_name="forward",to,rcode}  histogram
//   coredns_proxy_healthcheck_failures_total{proxy_name="forward",to}      counter
//   coredns_proxy_conn_cache_hits_total{proxy_name="forward",to,proto}     counter
//   coredns_proxy_conn_cache_misses_total{proxy_name="forward",to,proto}   counter
// They live in the registry (process-wide, counting across reloads, as CoreDNS's). A child
// is made on first use, so a series appears once it has something to say, as in the Go
// client; its pointer is then kept in the upstream, so counting takes no lock.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/metrics/metrics.h"

namespace cxxdns::plugins::forward {

struct Upstream;

// proto label values: how the try went out.
enum class Proto : uint8_t { udp, tcp, tls, https };

struct ProxyMetrics {
  // By rcode 0..15, the rest in [16].
  std::atomic<metrics::Histogram*> duration[17] = {};
  std::atomic<metrics::Counter*> healthcheck_failures{nullptr};
  std::atomic<metrics::Counter*> conn_hits[4] = {};
  std::atomic<metrics::Counter*> conn_misses[4] = {};
};

// Makes the child of a series (under the family's lock), the first time it is used.
metrics::Histogram& make_duration(Upstream& up, uint16_t rcode);
metrics::Counter& make_healthcheck_failures(Upstream& up);
metrics::Counter& make_conn(Upstream& up, Proto proto, bool hit);

// The upstream answered with `rcode` after `seconds`.
inline void observe_request(ProxyMetrics& m, Upstream& up, uint16_t rcode, double seconds,
                            int shard) {
  metrics::Histogram* h = m.duration[rcode < 16 ? rcode : 16].load(std::memory_order_acquire);
  if (!h) h = &make_duration(up, rcode);
  h->observe(shard, seconds);
}

inline void count_healthcheck_failure(ProxyMetrics& m, Upstream& up, int shard) {
  metrics::Counter* c = m.healthcheck_failures.load(std::memory_order_acquire);
  if (!c) c = &make_healthcheck_failures(up);
  c->inc(shard);
}

// A try found a pooled connection or socket (hit) or had to open one (miss).
inline void count_conn(ProxyMetrics& m, Upstream& up, Proto proto, bool hit, int shard) {
  auto& slot =
      hit ? m.conn_hits[static_cast<size_t>(proto)] : m.conn_misses[static_cast<size_t>(proto)];
  metrics::Counter* c = slot.load(std::memory_order_acquire);
  if (!c) c = &make_conn(up, proto, hit);
  c->inc(shard);
}

}  // namespace cxxdns::plugins::forward
