// QueryContext::set_query_flags and set_query_udp_size: the view and the wire change together.
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/plugin/context.h"
#include "core/plugin/testing.h"

namespace dns = cxxdns::dns;

TEST_CASE("query patch: flags in the view and the wire", "[context]") {
  cxxdns::QueryContext ctx;
  cxxdns::ClientAddress client;
  auto wire = cxxdns::testing::make_query("example.org.", dns::type::A);
  REQUIRE(ctx.load(wire, cxxdns::Transport::udp, client) == dns::QueryCheck::ok);
  ctx.set_query_flags(dns::flag::CD | dns::flag::AD, dns::flag::RD);
  CHECK(ctx.q().hdr.flags == (dns::flag::CD | dns::flag::AD));
  CHECK(dns::get16(ctx.query_wire().data() + 2) == (dns::flag::CD | dns::flag::AD));
  dns::QueryView again;
  REQUIRE(dns::parse_query(ctx.query_wire(), again) == dns::QueryCheck::ok);
  CHECK(again.hdr.flags == ctx.q().hdr.flags);
}

TEST_CASE("query patch: the EDNS UDP size, only with an OPT record", "[context]") {
  cxxdns::QueryContext ctx;
  cxxdns::ClientAddress client;
  cxxdns::testing::QueryOptions o;
  o.bufsize = 4096;
  o.do_bit = true;
  REQUIRE(ctx.load(cxxdns::testing::make_query("example.org.", dns::type::A, o),
                   cxxdns::Transport::udp, client) == dns::QueryCheck::ok);
  CHECK(ctx.set_query_udp_size(1232));
  CHECK(ctx.q().udp_size() == 1232);
  dns::QueryView again;
  REQUIRE(dns::parse_query(ctx.query_wire(), again) == dns::QueryCheck::ok);
  CHECK(again.edns.udp_size == 1232);
  CHECK(again.edns.do_bit);
  cxxdns::QueryContext plain;
  REQUIRE(plain.load(cxxdns::testing::make_query("example.org.", dns::type::A),
                     cxxdns::Transport::udp, client) == dns::QueryCheck::ok);
  CHECK_FALSE(plain.set_query_udp_size(1232));
}
