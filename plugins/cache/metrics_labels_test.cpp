// cache: the metrics carry CoreDNS's labels (plugin/cache/metrics.go): server, zones (the
// cache's, comma-separated), view, and type for the ones split by pool.
#include <catch2/catch.hpp>

#include "core/metrics/metrics.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;

TEST_CASE("cache: metrics carry server, zones and view as CoreDNS's", "[cache]") {
  ChainTest t("labels.test:1061 {\n  cache 30 labels.test other.test\n  whoami\n}\n");
  // whoami's answer has no answer records: a denial (NODATA) entry, then a hit on it.
  (void)t.query("a.labels.test.", "A");
  (void)t.query("a.labels.test.", "A");
  const std::string text = cxxdns::metrics::Registry::global().render();
  const std::string common = "server=\"dns://:1061\",zones=\"labels.test.,other.test.\",view=\"\"";
  CHECK(text.find("coredns_cache_misses_total{" + common + "} 1\n") != std::string::npos);
  CHECK(text.find("coredns_cache_requests_total{" + common + "} 2\n") != std::string::npos);
  CHECK(text.find("coredns_cache_hits_total{server=\"dns://:1061\",type=\"denial\","
                  "zones=\"labels.test.,other.test.\",view=\"\"} 1\n") != std::string::npos);
  CHECK(text.find("coredns_cache_entries{server=\"dns://:1061\",type=\"denial\","
                  "zones=\"labels.test.,other.test.\",view=\"\"} 1\n") != std::string::npos);
  CHECK(text.find("# HELP coredns_cache_misses_total The count of cache misses. Deprecated, "
                  "derive misses from cache hits/requests counters.") != std::string::npos);
}

TEST_CASE("cache: a tls:// block's server label names its transport", "[cache]") {
  // CoreDNS's server label is the server's address with its scheme: tls:// for DoT blocks.
  ChainTest t("tls://tlslabel.test:1062 {\n  cache 30\n  whoami\n}\n");
  (void)t.query("a.tlslabel.test.", "A");
  const std::string text = cxxdns::metrics::Registry::global().render();
  CHECK(text.find("coredns_cache_requests_total{server=\"tls://:1062\",zones=\"tlslabel.test.\","
                  "view=\"\"} 1\n") != std::string::npos);
}
