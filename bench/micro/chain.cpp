// Whole chains, as a worker runs them: a cache hit with `cache` in front of `hosts`, and the
// walk through `log` (an on_reply hook that logs nothing here) to `whoami`. The cache hit
// must not allocate: the count is printed and checked.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>
#include <iostream>

#include "bench/micro/micro.h"
#include "test/support/allocation_count.h"

using cxxdns::testing::ChainRunner;
using cxxdns::testing::ChainTest;
using micro::query;

TEST_CASE("cache hit through a chain", "[micro]") {
  ChainTest t(R"(bench.test {
    cache 300
    hosts {
        10.0.0.1 h.bench.test
    }
})");
  ChainRunner r(&t.config().blocks.at(0)->chain);
  const auto wire = query("H.bench.test.");
  r.run(wire);  // miss: hosts answers, the cache stores it
  r.run(wire);  // first hit: buffers reach their size
  REQUIRE(r.delivered == 2);
  auto a = cxxdns::testing::parse_answer(r.ctx().response());
  REQUIRE(a.answer.size() == 1);
  REQUIRE(a.answer[0].find("10.0.0.1") != std::string::npos);

  const size_t allocs = cxxdns::testing::count_allocations([&] { r.run(wire); });
  std::cout << "heap allocations on a cache hit: " << allocs << " (must be 0)\n";
  CHECK(allocs == 0);

  BENCHMARK("cache hit (cache -> hosts), whole chain") {
    r.run(wire);
    return r.last_size;
  };
}

TEST_CASE("chain walk", "[micro]") {
  // `class error`: the hook runs for every answer but whoami's NOERROR is not printed.
  ChainTest t(R"(bench.test {
    log {
        class error
    }
    whoami
})");
  ChainRunner r(&t.config().blocks.at(0)->chain);
  const auto wire = query("w.bench.test.");
  r.run(wire);
  REQUIRE(r.delivered == 1);
  REQUIRE(cxxdns::testing::parse_answer(r.ctx().response()).rcode == "NOERROR");

  BENCHMARK("log + whoami, whole chain") {
    r.run(wire);
    return r.last_size;
  };
}
