#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

#include "core/metrics/metrics.h"

using namespace cxxdns::metrics;

TEST_CASE("counters render with HELP, TYPE and escaped labels", "[metrics]") {
  Registry r;
  auto& f = r.counter("x_requests_total", "Counter of\nthings \\ here.", {"zone", "proto"});
  CHECK(r.render().empty());  // labelled family with no child: not shown
  f.with({"a\"b\\c\nd.", "udp"}).inc(0, 2);
  f.with({"a\"b\\c\nd.", "udp"}).inc(5);
  f.with({"example.org.", "tcp"}).inc(31);
  std::string out = r.render();
  CHECK(out ==
        "# HELP x_requests_total Counter of\\nthings \\\\ here.\n"
        "# TYPE x_requests_total counter\n"
        "x_requests_total{zone=\"a\\\"b\\\\c\\nd.\",proto=\"udp\"} 3\n"
        "x_requests_total{zone=\"example.org.\",proto=\"tcp\"} 1\n");
}

TEST_CASE("registering a name again returns the same family", "[metrics]") {
  Registry r;
  auto& a = r.counter("c_total", "h", {"l"});
  auto& b = r.counter("c_total", "h", {"l"});
  CHECK(&a == &b);
  CHECK_THROWS_AS(r.counter("c_total", "h", {"other"}), std::logic_error);
  CHECK_THROWS_AS(r.gauge("c_total", "h", {"l"}), std::logic_error);
  CHECK_THROWS_AS(a.with({"x", "y"}), std::logic_error);
}

TEST_CASE("unlabelled metrics show at zero, gauges as floats", "[metrics]") {
  Registry r;
  r.counter("p_total", "Panics.");
  r.gauge("g", "A gauge.").with({}).set(0.5);
  r.gauge("cpu_seconds_total", "CPU.", {}, true).with({}).set(1.25);
  std::string out = r.render();
  CHECK(out ==
        "# HELP cpu_seconds_total CPU.\n# TYPE cpu_seconds_total counter\ncpu_seconds_total 1.25\n"
        "# HELP g A gauge.\n# TYPE g gauge\ng 0.5\n"
        "# HELP p_total Panics.\n# TYPE p_total counter\np_total 0\n");
}

TEST_CASE("histograms render cumulative buckets, sum and count", "[metrics]") {
  Registry r;
  auto& f = r.histogram("d_seconds", "Duration.", {"zone"}, {0.1, 1, 16000});
  auto& h = f.with({"."});
  h.observe(0, 0.05);
  h.observe(1, 0.1);  // on a bound: counted in that bucket (le)
  h.observe(2, 0.5);
  h.observe(3, 20000);
  std::string out = r.render();
  CHECK(out ==
        "# HELP d_seconds Duration.\n# TYPE d_seconds histogram\n"
        "d_seconds_bucket{zone=\".\",le=\"0.1\"} 2\n"
        "d_seconds_bucket{zone=\".\",le=\"1\"} 3\n"
        "d_seconds_bucket{zone=\".\",le=\"16000\"} 3\n"
        "d_seconds_bucket{zone=\".\",le=\"+Inf\"} 4\n"
        "d_seconds_sum{zone=\".\"} 20000.65\n"
        "d_seconds_count{zone=\".\"} 4\n");
}

TEST_CASE("CoreDNS's duration buckets format as Go prints them", "[metrics]") {
  auto b = exponential_buckets(0.00025, 2, 16);
  REQUIRE(b.size() == 16);
  CHECK(format_value(b[0]) == "0.00025");
  CHECK(format_value(b[1]) == "0.0005");
  CHECK(format_value(b[15]) == "8.192");
  CHECK(format_value(64e3) == "64000");
  CHECK(format_value(1e6) == "1e+06");
  CHECK(format_value(123456) == "123456");
  CHECK(format_value(0.0001) == "0.0001");
  CHECK(format_value(0.00001) == "1e-05");
  CHECK(format_value(0) == "0");
}

TEST_CASE("counters sum across shards from several threads", "[metrics]") {
  Counter c;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&c, t] {
      for (int i = 0; i < 10000; ++i) c.inc(t);
    });
  }
  for (auto& t : ts) t.join();
  CHECK(c.value() == 40000);
}

TEST_CASE("process metrics read /proc/self", "[metrics]") {
  Registry& r = Registry::global();
  register_process_metrics(r);
  std::string out = r.render();
  for (const char* name : {"process_cpu_seconds_total ", "process_open_fds ",
                           "process_resident_memory_bytes ", "process_start_time_seconds "}) {
    INFO(name);
    size_t at = out.find(std::string("\n") + name);
    REQUIRE(at != std::string::npos);
    double v = std::stod(out.substr(at + 1 + std::strlen(name)));
    if (std::string_view(name) == "process_cpu_seconds_total ")
      CHECK(v >= 0);
    else
      CHECK(v > 0);
  }
}

TEST_CASE("what several blocks count renders grouped, sorted and summed", "[metrics]") {
  // What two blocks' caches and a forward leave: the same names and labels add up.
  cxxdns::metrics::Registry r;
  auto& misses = r.counter("coredns_cache_misses_total", "The count of cache misses.");
  misses.with(std::vector<std::string>{}).inc(0, 3);
  auto& entries =
      r.collected_gauge("coredns_cache_entries", "The number of elements in the cache.", {"type"});
  auto block1 = r.collector([&] { entries.with({"success"}).add(2); });
  auto block2 = r.collector([&] { entries.with({"success"}).add(0); });
  misses.with(std::vector<std::string>{}).inc(1, 4);
  r.counter("coredns_forward_requests_total", "Counter.", {"to"}).with({"127.0.0.1:53"}).inc(0);
  CHECK(r.render() ==
        "# HELP coredns_cache_entries The number of elements in the cache.\n"
        "# TYPE coredns_cache_entries gauge\n"
        "coredns_cache_entries{type=\"success\"} 2\n"
        "# HELP coredns_cache_misses_total The count of cache misses.\n"
        "# TYPE coredns_cache_misses_total counter\n"
        "coredns_cache_misses_total 7\n"
        "# HELP coredns_forward_requests_total Counter.\n"
        "# TYPE coredns_forward_requests_total counter\n"
        "coredns_forward_requests_total{to=\"127.0.0.1:53\"} 1\n");
  // A collector whose handle is gone (its configuration was reloaded away) adds nothing.
  { auto gone = std::move(block1); }
  CHECK(r.render().find("coredns_cache_entries{type=\"success\"} 0\n") != std::string::npos);
}
