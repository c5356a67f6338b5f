#include "plugins/forward/proxy_metrics.h"

#include <string>

#include "core/dns/text.h"
#include "plugins/forward/options.h"

namespace cxxdns::plugins::forward {

namespace {

constexpr const char* kProxyName = "forward";

metrics::HistogramFamily& duration_family() {
  static auto& f = metrics::Registry::global().histogram(
      "coredns_proxy_request_duration_seconds", "Histogram of the time each request took.",
      {"proxy_name", "to", "rcode"}, metrics::exponential_buckets(0.00025, 2, 16));
  return f;
}

metrics::CounterFamily& healthcheck_family() {
  static auto& f = metrics::Registry::global().counter(
      "coredns_proxy_healthcheck_failures_total", "Counter of the number of failed healthchecks.",
      {"proxy_name", "to"});
  return f;
}

metrics::CounterFamily& conn_family(bool hit) {
  static auto& hits = metrics::Registry::global().counter(
      "coredns_proxy_conn_cache_hits_total",
      "Counter of connection cache hits per upstream and protocol.", {"proxy_name", "to", "proto"});
  static auto& misses = metrics::Registry::global().counter(
      "coredns_proxy_conn_cache_misses_total",
      "Counter of connection cache misses per upstream and protocol.",
      {"proxy_name", "to", "proto"});
  return hit ? hits : misses;
}

// Stores the child made for `slot`. Two workers may both make it: with() returns the same
// child to both.
template <typename Child>
Child& keep(std::atomic<Child*>& slot, Child& c) {
  slot.store(&c, std::memory_order_release);
  return c;
}

const char* proto_name(Proto p) {
  switch (p) {
    case Proto::udp:
      return "udp";
    case Proto::tcp:
      return "tcp";
    case Proto::tls:
      return "tcp-tls";
    case Proto::https:
      return "https";
  }
  return "udp";
}

}  // namespace

metrics::Histogram& make_duration(Upstream& up, uint16_t rcode) {
  char buf[16];
  std::string name = rcode < 16 ? std::string(dns::rcode_name(rcode, buf)) : "OTHER";
  return keep(up.metrics.duration[rcode < 16 ? rcode : 16],
              duration_family().with({kProxyName, up.to, name}));
}

metrics::Counter& make_healthcheck_failures(Upstream& up) {
  return keep(up.metrics.healthcheck_failures, healthcheck_family().with({kProxyName, up.to}));
}

metrics::Counter& make_conn(Upstream& up, Proto proto, bool hit) {
  const auto p = static_cast<size_t>(proto);
  return keep(hit ? up.metrics.conn_hits[p] : up.metrics.conn_misses[p],
              conn_family(hit).with({kProxyName, up.to, proto_name(proto)}));
}

}  // namespace cxxdns::plugins::forward
