// IP addresses and prefixes as plugins take them from a Corefile.
#include <catch2/catch.hpp>

#include "plugins/pkg/ip.h"

TEST_CASE("networks match by prefix", "[explain]") {
  auto n = cxxdns::pkg::IpPrefix::parse("10.1.0.0/15");
  REQUIRE(n);
  const uint8_t in[4] = {10, 0, 200, 1}, out[4] = {10, 2, 0, 1};
  CHECK(n->contains(in));
  CHECK_FALSE(n->contains(out));
  CHECK_FALSE(cxxdns::pkg::IpPrefix::parse("10.0.0.0/33"));
  CHECK_FALSE(cxxdns::pkg::IpPrefix::parse("nonsense"));
  auto v6 = cxxdns::pkg::IpPrefix::parse("::1");
  REQUIRE(v6);
  CHECK(v6->prefix == 128);
}
