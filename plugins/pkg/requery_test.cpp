// requery: the client's query with another question, its ID, flags and OPT record kept.
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/plugin/testing.h"
#include "plugins/pkg/edns.h"
#include "plugins/pkg/requery.h"

namespace dns = cxxdns::dns;

TEST_CASE("requery: another name and type, the rest as the client sent it", "[requery]") {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  o.do_bit = true;
  o.cd = true;
  o.id = 0xbeef;
  auto wire =
      cxxdns::testing::make_query("www.example.com.default.svc.cluster.local.", dns::type::A, o);
  // An option in the client's OPT record (NSID, empty).
  const uint8_t nsid[4] = {0, 3, 0, 0};
  wire.insert(wire.end(), nsid, nsid + 4);
  dns::put16(wire.data() + wire.size() - 6, 4);
  cxxdns::QueryContext ctx;
  cxxdns::ClientAddress client;
  REQUIRE(ctx.load(wire, cxxdns::Transport::udp, client) == dns::QueryCheck::ok);

  dns::Name n;
  REQUIRE(dns::from_text("WWW.example.com.lan.", n));
  std::vector<uint8_t> out;
  cxxdns::pkg::requery(ctx, n, dns::type::AAAA, out);
  dns::QueryView q;
  REQUIRE(dns::parse_query(out, q) == dns::QueryCheck::ok);
  CHECK(q.hdr.id == 0xbeef);
  CHECK(q.hdr.flags == ctx.q().hdr.flags);
  CHECK(q.qname == n);  // the case kept
  CHECK(q.qtype == dns::type::AAAA);
  CHECK(q.qclass == dns::cls::IN);
  CHECK(q.edns.present);
  CHECK(q.edns.udp_size == 1232);
  CHECK(q.edns.do_bit);
  cxxdns::QueryContext again;
  REQUIRE(again.load(out, cxxdns::Transport::internal, client) == dns::QueryCheck::ok);
  CHECK(cxxdns::pkg::query_option(again, 3).has_value());

  cxxdns::QueryContext plain;
  REQUIRE(plain.load(cxxdns::testing::make_query("a.example.", dns::type::A),
                     cxxdns::Transport::udp, client) == dns::QueryCheck::ok);
  cxxdns::pkg::requery(plain, n, dns::type::A, out);
  REQUIRE(dns::parse_query(out, q) == dns::QueryCheck::ok);
  CHECK_FALSE(q.edns.present);
}
