// forward's configuration: one ForwardOptions per `forward` directive of a server block,
// and the upstreams it names, with their shared health state and counters.
#pragma once

#include "plugins/forward/proxy_metrics.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::plugins::forward {

constexpr size_t kMaxUpstreams = 15;
// max_concurrent when the Corefile gives none. CoreDNS has no limit; then a burst to a slow
// upstream holds a context and an exchange per query for up to 5s each, without bound. 10,000
// queries in flight (about 20 MB, and 2,000 queries a second to an upstream that never
// answers) is well above what a healthy upstream needs: rate times latency, 10,000 is
// 200,000 queries a second at 50ms.
constexpr uint32_t kDefaultMaxConcurrent = 10000;

enum class Policy { random, round_robin, sequential };

// One TO endpoint. Shared by all workers: health and counters are relaxed atomics.
struct Upstream {
  std::string to;  // "127.0.0.1:53" as the metrics label `to`
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  bool tls = false;
  std::string tls_servername;  // from tls://IP%NAME
  // https:// (DNS over HTTPS, RFC 8484): the path asked (/dns-query unless the TO names one),
  // and, set up by the block, the URL libcurl asks and the `HOST:PORT:ADDRESS` entry that
  // takes a tls_servername host to this address without any lookup.
  bool https = false;
  std::string doh_path;
  std::string doh_url;
  std::string doh_resolve;

  // Consecutive failed health checks; down when >= max_fails (max_fails > 0).
  std::atomic<uint32_t> fails{0};

  // An upstream's counts, for the plugin's own accessors and tests (CoreDNS exports them
  // no more since 1.11): queries sent (each try counts), answers taken by rcode (0..15, the
  // rest in [16]), time waited for them, pooled connections reused and opened.
  std::atomic<uint64_t> requests{0};
  std::array<std::atomic<uint64_t>, 17> responses{};
  std::atomic<uint64_t> duration_ns_sum{0};
  std::atomic<uint64_t> duration_count{0};
  std::atomic<uint64_t> healthcheck_failures{0};
  std::atomic<uint64_t> tcp_conn_hits{0};
  std::atomic<uint64_t> tcp_conn_misses{0};
  // The coredns_proxy_* series of this upstream (proxy_metrics.h).
  ProxyMetrics metrics;
  // A worker is health-checking this upstream (after a failed try, until it answers).
  std::atomic<bool> checking{false};

  bool down(uint32_t max_fails) const {
    return max_fails > 0 && fails.load(std::memory_order_relaxed) >= max_fails;
  }
};

struct ForwardOptions {
  std::string from = ".";
  std::vector<std::string> except;  // canonical zones
  std::vector<std::unique_ptr<Upstream>> upstreams;
  bool force_tcp = false;
  bool prefer_udp = false;
  std::chrono::nanoseconds expire = std::chrono::seconds(10);
  uint32_t max_fails = 2;
  Policy policy = Policy::random;
  std::chrono::nanoseconds health_check = std::chrono::milliseconds(500);
  bool health_check_rd = true;
  std::string health_check_domain = ".";
  uint32_t max_concurrent = kDefaultMaxConcurrent;  // 0: no limit
  std::vector<uint16_t> next_rcodes;
  std::vector<uint16_t> failover_rcodes;
  std::vector<std::string> resolvers;  // `resolver`: DNS servers for host-name TOs
  bool failfast_all_unhealthy = false;
  bool doh_get = false;          // doh_method GET (POST when not given)
  std::vector<std::string> tls;  // CERT KEY CA, 0..3 files
  bool tls_set = false;
  std::string tls_servername;

  // Whether `qname` (canonical, lower case) is forwarded by this directive: under FROM
  // and not under an `except` zone (FROM itself always is, as in CoreDNS).
  bool matches(std::string_view qname) const;
  // FROM is the root and nothing is excepted: every name matches, without reading it.
  bool matches_everything() const { return except.empty() && from == "."; }
};

// Parses one TO that is not a file: "1.2.3.4", "1.2.3.4:53", "[::1]:53", "::1",
// "dns://1.2.3.4:53", "tls://1.2.3.4[%NAME][:853]", "https://1.2.3.4[:443][/PATH]". Returns
// an error text or "".
std::string parse_upstream(std::string_view text, Upstream& out);

// The `nameserver` addresses of a resolv.conf-format file; false when it cannot be read.
bool read_resolv_conf(const std::string& path, std::vector<std::string>& out);

}  // namespace cxxdns::plugins::forward
