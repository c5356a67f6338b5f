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

// The child in `slot`, made (under the family's lock) the first time. Two workers may both
// make it: with() returns the same child to both.
template <typename Child, typename Make>
Child& child(std::atomic<Child*>& slot, Make make) {
  Child* c = slot.load(std::memory_order_acquire);
  if (!c) {
    c = &make();
    slot.store(c, std::memory_order_release);
  }
  return *c;
}

const char* proto_name(Proto p) {
  switch (p) {
    case Proto::udp:
      return "udp";
    case Proto::tcp:
      return "tcp";
    case Proto::tls:
      return "tcp-tls";
  }
  return "udp";
}

}  // namespace

void observe_request(Upstream& up, uint16_t rcode, double seconds, int shard) {
  const size_t i = rcode < 16 ? rcode : 16;
  auto& h = child(up.metrics.duration[i], [&]() -> metrics::Histogram& {
    char buf[16];
    std::string name = rcode < 16 ? std::string(dns::rcode_name(rcode, buf)) : "OTHER";
    return duration_family().with({kProxyName, up.to, name});
  });
  h.observe(shard, seconds);
}

void count_healthcheck_failure(Upstream& up, int shard) {
  child(up.metrics.healthcheck_failures, [&]() -> metrics::Counter& {
    return healthcheck_family().with({kProxyName, up.to});
  }).inc(shard);
}

void count_conn(Upstream& up, Proto proto, bool hit, int shard) {
  const auto p = static_cast<size_t>(proto);
  auto& slot = hit ? up.metrics.conn_hits[p] : up.metrics.conn_misses[p];
  child(slot, [&]() -> metrics::Counter& {
    return conn_family(hit).with({kProxyName, up.to, proto_name(proto)});
  }).inc(shard);
}

}  // namespace cxxdns::plugins::forward
