#include "plugins/prometheus/vars.h"

#include "core/dns/text.h"

namespace cxxdns::plugins::vars {

namespace {

const std::vector<double> kSizeBuckets = {0,    100,  200,  300,  400,  511,  1023,
                                          2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3};

DnsMetrics make() {
  auto& r = metrics::Registry::global();
  metrics::register_process_metrics(r);
  r.gauge("coredns_build_info",
          "A metric with a constant '1' value labeled by version, revision, and goversion from "
          "which CoreDNS was built.",
          {"version", "revision", "goversion"})
      .with({CXXDNS_VERSION, "", "c++" + std::to_string(__cplusplus / 100 % 100)})
      .set(1);
  r.counter("coredns_panics_total", "A metrics that counts the number of panics.");
  // Shown as 0 before the first failure: the server counts into the same family.
  r.counter("coredns_reload_failed_total", "Counter of the number of failed reload attempts.")
      .with(std::vector<std::string>{});
  return DnsMetrics{
      r.counter("coredns_dns_requests_total",
                "Counter of DNS requests made per zone, protocol and family.",
                {"server", "zone", "view", "proto", "family", "type"}),
      r.histogram("coredns_dns_request_duration_seconds",
                  "Histogram of the time (in seconds) each request took per zone.",
                  {"server", "zone", "view"}, metrics::exponential_buckets(0.00025, 2, 16)),
      r.histogram("coredns_dns_request_size_bytes",
                  "Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.",
                  {"server", "zone", "view", "proto"}, kSizeBuckets),
      r.histogram("coredns_dns_response_size_bytes", "Size of the returned response in bytes.",
                  {"server", "zone", "view", "proto"}, kSizeBuckets),
      r.counter("coredns_dns_responses_total", "Counter of response status codes.",
                {"server", "zone", "view", "rcode", "plugin"}),
      r.gauge("coredns_plugin_enabled", "A metric that monitors which plugin(s) is(are) enabled.",
              {"server", "zone", "view", "name"}),
  };
}

}  // namespace

DnsMetrics& dns() {
  static DnsMetrics m = make();
  return m;
}

std::string_view monitored_type(uint16_t qtype) {
  switch (qtype) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 50:
      return "NSEC3";
    case 65:
      return "HTTPS";
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    default:
      return "other";
  }
}

}  // namespace cxxdns::plugins::vars
