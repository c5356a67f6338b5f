// What forward holds for queries in flight: TCP connections per upstream capped and reused,
// exchanges given back after a burst, query IDs from the CSPRNG, and its metrics' names.
#include <catch2/catch.hpp>

#include <set>

#include "core/metrics/metrics.h"
#include "plugins/forward/query_ids.h"
#include "plugins/forward/test_chain.h"
#include "plugins/forward/test_upstream.h"

using cxxdns::testing::ChainTest;
using namespace forward_test;
namespace fwd = cxxdns::plugins::forward;

TEST_CASE("forward: TCP client queries share a capped set of upstream connections", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
  FakeUpstream up(
      t.loop(), [](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 0, 1)}; },
      port);
  Burst burst(t);
  const int n = 300;
  for (int i = 0; i < n; ++i) burst.start("q" + std::to_string(i) + ".example.org.", true);
  REQUIRE(burst.wait(std::chrono::milliseconds(5000)) == size_t(n));
  for (uint8_t rc : burst.rcodes()) CHECK(rc == 0);
  CHECK(up.tcp_queries == n);
  CHECK(up.connections <= int(fwd::kTcpMaxConns));
  auto& u = *forward_of(t).blocks()[0]->opts.upstreams[0];
  CHECK(u.tcp_conn_misses.load() <= fwd::kTcpMaxConns);
}

TEST_CASE("forward: exchanges of a burst are freed once it is over", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
  FakeUpstream up(
      t.loop(), [](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 0, 1)}; },
      port);
  Burst burst(t);
  const int n = 2000;
  for (int i = 0; i < n; ++i) burst.start("b" + std::to_string(i) + ".example.org.", false);
  CHECK(forward_of(t).exchanges() == size_t(n));  // one per query in flight
  // Answered in well under a second when the upstream's socket keeps the whole burst (see
  // FakeUpstream); where the kernel caps its buffer, the queries it dropped end at forward's
  // 5 s deadline, which this wait outlasts. A query never answered still fails here.
  REQUIRE(burst.wait(std::chrono::milliseconds(10000)) == size_t(n));
  t.run_for(std::chrono::milliseconds(20));
  CHECK(forward_of(t).exchanges() <= fwd::kMaxFreeExchanges);
}

TEST_CASE("forward: max_concurrent has a bounded default", "[forward]") {
  ChainTest t(corefile("forward . 127.0.0.1:53"));
  CHECK(forward_of(t).blocks()[0]->opts.max_concurrent == fwd::kDefaultMaxConcurrent);
  ChainTest u(corefile("forward . 127.0.0.1:53 {\n max_concurrent 0\n }"));
  CHECK(forward_of(u).blocks()[0]->opts.max_concurrent == 0);  // no limit, as asked
}

TEST_CASE("forward: query IDs from the CSPRNG", "[forward]") {
  fwd::RandomIds a, b;
  std::set<uint16_t> ids;
  std::vector<uint16_t> sa, sb;
  for (int i = 0; i < 20000; ++i) {
    sa.push_back(a.next16());
    sb.push_back(b.next16());
    ids.insert(sa.back());
  }
  // 20,000 draws from 65,536 values: about 17,000 distinct when uniform.
  CHECK(ids.size() > 15500);
  CHECK(sa != sb);  // two generators never share a stream
  int high = 0;
  for (uint16_t v : sa) high += v >> 15;
  CHECK(high > 9000);
  CHECK(high < 11000);
}

TEST_CASE("forward: coredns_proxy_* metrics with CoreDNS's names and labels", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 1\n health_check 20ms\n }"));
  {
    FakeUpstream up(
        t.loop(), [](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 3, 0)}; },
        port);
    CHECK(t.query("a.example.org.", "A").rcode == "NXDOMAIN");
    cxxdns::testing::QueryOptions o;
    o.tcp = true;
    CHECK(t.query("b.example.org.", "A", o).rcode == "NXDOMAIN");
    CHECK(t.query("c.example.org.", "A", o).rcode == "NXDOMAIN");
  }
  // The upstream is gone: a failed try, then failed health checks.
  CHECK(t.query("d.example.org.", "A").rcode == "SERVFAIL");
  t.run_for(std::chrono::milliseconds(100));
  const std::string text = cxxdns::metrics::Registry::global().render();
  const std::string to = "to=\"" + addr(port) + "\"";
  auto has = [&](const std::string& s) {
    INFO(s);
    CHECK(text.find(s) != std::string::npos);
  };
  has("# HELP coredns_proxy_request_duration_seconds Histogram of the time each request took.\n"
      "# TYPE coredns_proxy_request_duration_seconds histogram\n");
  has("coredns_proxy_request_duration_seconds_count{proxy_name=\"forward\"," + to +
      ",rcode=\"NXDOMAIN\"} 3");
  has("# TYPE coredns_proxy_healthcheck_failures_total counter");
  has("coredns_proxy_healthcheck_failures_total{proxy_name=\"forward\"," + to + "}");
  has("# HELP coredns_proxy_conn_cache_hits_total Counter of connection cache hits per upstream "
      "and protocol.");
  has("coredns_proxy_conn_cache_hits_total{proxy_name=\"forward\"," + to + ",proto=\"tcp\"} 1");
  has("coredns_proxy_conn_cache_misses_total{proxy_name=\"forward\"," + to + ",proto=\"tcp\"} 1");
  has("coredns_proxy_conn_cache_misses_total{proxy_name=\"forward\"," + to + ",proto=\"udp\"}");
  CHECK(text.find("coredns_forward_requests_total") == std::string::npos);
}
