// dns::parse_query: the per-query view every plugin reads (header, question, OPT).
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/plugin/testing.h"

TEST_CASE("wire view parse", "[micro]") {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  o.do_bit = true;
  const auto wire =
      cxxdns::testing::make_query("Www.Some-Name.bench.test.", cxxdns::dns::type::A, o);
  cxxdns::dns::QueryView q;
  REQUIRE(cxxdns::dns::parse_query(wire, q) == cxxdns::dns::QueryCheck::ok);
  REQUIRE(q.edns.present);

  BENCHMARK("dns::parse_query (A, EDNS)") {
    return cxxdns::dns::parse_query(wire, q);
  };
}
