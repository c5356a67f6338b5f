// Plugin-kept metrics: grouped by name with HELP/TYPE once, equal label sets summed.
#include <catch2/catch.hpp>

#include "core/metrics/sample.h"

TEST_CASE("samples render grouped, sorted and summed across blocks", "[metrics]") {
  std::vector<cxxdns::metrics::Sample> s = {
      {"coredns_cache_misses_total", "The count of cache misses.", true, {}, 3},
      {"coredns_cache_entries",
       "The number of elements in the cache.",
       false,
       {{"type", "success"}},
       2},
      {"coredns_cache_misses_total", "The count of cache misses.", true, {}, 4},
      {"coredns_forward_requests_total", "Counter.", true, {{"to", "127.0.0.1:53"}}, 1},
  };
  CHECK(cxxdns::metrics::render_samples(s) ==
        "# HELP coredns_cache_entries The number of elements in the cache.\n"
        "# TYPE coredns_cache_entries gauge\n"
        "coredns_cache_entries{type=\"success\"} 2\n"
        "# HELP coredns_cache_misses_total The count of cache misses.\n"
        "# TYPE coredns_cache_misses_total counter\n"
        "coredns_cache_misses_total 7\n"
        "# HELP coredns_forward_requests_total Counter.\n"
        "# TYPE coredns_forward_requests_total counter\n"
        "coredns_forward_requests_total{to=\"127.0.0.1:53\"} 1\n");
}
