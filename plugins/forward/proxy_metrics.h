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
enum class Proto : uint8_t { udp, tcp, tls };

struct ProxyMetrics {
  // By rcode 0..15, the rest in [16].
  std::atomic<metrics::Histogram*> duration[17] = {};
  std::atomic<metrics::Counter*> healthcheck_failures{nullptr};
  std::atomic<metrics::Counter*> conn_hits[3] = {};
  std::atomic<metrics::Counter*> conn_misses[3] = {};
};

// The upstream answered with `rcode` after `seconds`.
void observe_request(Upstream& up, uint16_t rcode, double seconds, int shard);
void count_healthcheck_failure(Upstream& up, int shard);
// A try found a pooled connection (hit) or had to open one (miss).
void count_conn(Upstream& up, Proto proto, bool hit, int shard);

}  // namespace cxxdns::plugins::forward
