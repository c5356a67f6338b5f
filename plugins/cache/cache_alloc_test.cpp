// cache: a warm hit allocates nothing. Counts global operator new around the hit.
#include <catch2/catch.hpp>

#include "plugins/cache/cache_fixture.h"
#include "test/support/allocation_count.h"

using cxxdns::testing::count_allocations;

TEST_CASE("cache: a warm hit does not allocate", "[cache]") {
  cache_test::Fixture f("cache");
  cxxdns::testing::ChainRunner r(&f.t.config().blocks[0]->chain);
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  const auto wire = cxxdns::testing::make_query("Www.Example.org.", cxxdns::dns::type::A, o);
  auto run = [&] { REQUIRE(r.run(wire) == cxxdns::dns::QueryCheck::ok); };
  run();  // miss: stored
  run();  // first hit: the buffers grow
  REQUIRE(cache_test::script.calls == 1);
  REQUIRE(f.cache->hits_success() == 1);

  cache_test::advance(10);
  CHECK(count_allocations(run) == 0);
  CHECK(f.cache->hits_success() == 2);
  CHECK(r.delivered == 3);
  CHECK(cache_test::script.calls == 1);
  auto a = cxxdns::testing::parse_answer(r.ctx().response());
  REQUIRE(a.answer.size() == 1);
  CHECK(cache_test::ttl_of(a.answer[0]) == 290);

  // The counter works: a miss (the upstream builds a new answer into a fresh entry) counts.
  const auto other = cxxdns::testing::make_query("other.example.org.", cxxdns::dns::type::A, o);
  CHECK(count_allocations([&] { r.run(other); }) > 0);
}
