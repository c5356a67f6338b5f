#include "plugins/kubernetes/api_metrics.h"

#include "core/metrics/metrics.h"

namespace cxxdns::plugins::k8s::api_metrics {
namespace {

using cxxdns::metrics::Registry;

// Prometheus' DefBuckets, which CoreDNS's rest client histograms use.
const std::vector<double> kDefBuckets{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

// Not on the query path: these run on the API source's threads, a few times a second.
constexpr int kShard = 0;

}  // namespace

std::string host_of(const std::string& server) {
  size_t start = server.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = server.find('/', start);
  return server.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

void request_done(const std::string& host, long status) {
  static auto& fam = Registry::global().counter(
      "coredns_kubernetes_rest_client_requests_total",
      "Number of HTTP requests, partitioned by status code, method, and host.",
      {"code", "method", "host"});
  fam.with({status > 0 ? std::to_string(status) : std::string("<error>"), "GET", host}).inc(kShard);
}

void list_took(const std::string& host, double seconds) {
  static auto& latency = Registry::global().histogram(
      "coredns_kubernetes_rest_client_request_duration_seconds",
      "Request latency in seconds. Broken down by verb and host.", {"verb", "host"}, kDefBuckets);
  static auto& limiter = Registry::global().histogram(
      "coredns_kubernetes_rest_client_rate_limiter_duration_seconds",
      "Client side rate limiter latency in seconds. Broken down by verb and host.",
      {"verb", "host"}, kDefBuckets);
  latency.with({"GET", host}).observe(kShard, seconds);
  limiter.with({"GET", host}).observe(kShard, 0);
}

void programmed(double seconds) {
  static auto& fam = Registry::global().histogram(
      "coredns_kubernetes_dns_programming_duration_seconds",
      "Histogram of the time (in seconds) it took to program a dns instance.", {"service_kind"},
      cxxdns::metrics::exponential_buckets(0.001, 2, 20));  // 1 ms to about 17 minutes
  static auto& headless = fam.with({"headless_with_selector"});
  headless.observe(kShard, seconds < 0 ? 0 : seconds);
}

}  // namespace cxxdns::plugins::k8s::api_metrics
