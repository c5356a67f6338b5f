// forward's configuration: one ForwardOptions per `forward` directive of a server block,
// and the upstreams it names, with their shared health state and counters.
#pragma once

#include "core/metrics/metrics.h"

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

enum class Policy { random, round_robin, sequential };

// One TO endpoint. Shared by all workers: health and counters are relaxed atomics.
struct Upstream {
  std::string to;  // "127.0.0.1:53" as the metrics label `to`
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  bool tls = false;
  std::string tls_servername;  // from tls://IP%NAME

  // Consecutive failed health checks; down when >= max_fails (max_fails > 0).
  std::atomic<uint32_t> fails{0};

  // coredns_forward_requests_total{to}
  std::atomic<uint64_t> requests{0};
  // coredns_forward_responses_total{to,rcode}: rcodes 0..15, the rest in [16].
  std::array<std::atomic<uint64_t>, 17> responses{};
  // coredns_forward_request_duration_seconds{to}: sum (ns) and count.
  std::atomic<uint64_t> duration_ns_sum{0};
  std::atomic<uint64_t> duration_count{0};
  // coredns_forward_request_duration_seconds{to}: the histogram in the metrics registry
  // (process-wide, so it keeps counting across reloads, as CoreDNS's).
  metrics::Histogram* duration = nullptr;
  // coredns_forward_healthcheck_failures_total{to}
  std::atomic<uint64_t> healthcheck_failures{0};
  // coredns_proxy_conn_cache_hits_total / _misses_total{to, proto="tcp"}
  std::atomic<uint64_t> tcp_conn_hits{0};
  std::atomic<uint64_t> tcp_conn_misses{0};

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
  uint32_t max_concurrent = 0;  // 0: no limit
  std::vector<uint16_t> next_rcodes;
  bool failfast_all_unhealthy = false;
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
// "dns://1.2.3.4:53", "tls://1.2.3.4[%NAME][:853]". Returns an error text or "".
std::string parse_upstream(std::string_view text, Upstream& out);

// The `nameserver` addresses of a resolv.conf-format file; false when it cannot be read.
bool read_resolv_conf(const std::string& path, std::vector<std::string>& out);

}  // namespace cxxdns::plugins::forward
