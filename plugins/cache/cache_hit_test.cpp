// cache: what a hit returns, bit by bit and name by name, and how long a message is kept
// (issue 18: RD and CD from the current query, names other than the question keep their
// case, the smallest TTL in the message counts).
#include <catch2/catch.hpp>

#include "core/dns/message.h"
#include "plugins/cache/cache_fixture.h"

using cache_test::advance;
using cache_test::Fixture;
using cache_test::script;
using cache_test::ttl_of;
using cxxdns::testing::QueryOptions;
namespace dns = cxxdns::dns;
namespace flag = cxxdns::dns::flag;

namespace {

dns::Name name(const char* text) {
  dns::Name n;
  REQUIRE(dns::from_text(text, n));
  return n;
}

// An upstream that answers with every header bit it can set: AA, RA, AD and Z, and RD and
// CD as the query had them (as a resolver echoes them).
void answer_with_all_bits(cxxdns::QueryContext& ctx) {
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
  const uint8_t addr[4] = {10, 0, 0, 1};
  w.a(ctx.q().qname, 300, addr);
  w.set_flags(flag::RA | flag::AD | flag::Z);
}

// "www CNAME host" then "host A", written as a resolver writes them: host's name points into
// the question's bytes (compression).
void answer_cname_into_question(cxxdns::QueryContext& ctx) {
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
  dns::Name host;
  // The target under the zone as the question spells it, so that it compresses into it.
  std::string zone = dns::to_text(ctx.q().qname);
  zone = zone.substr(zone.find('.') + 1);
  REQUIRE(dns::from_text("host." + zone, host));
  w.name_rr(ctx.q().qname, dns::type::CNAME, 300, host);
  const uint8_t addr[4] = {10, 0, 0, 7};
  w.a(host, 300, addr);
  w.set_flags(flag::RA);
}

uint16_t flags_of(const cxxdns::testing::Answer& a) {
  return dns::Header::read(a.wire.data()).flags;
}

}  // namespace

TEST_CASE("cache: every header bit of a hit follows the query, as CoreDNS's", "[cache]") {
  Fixture f("cache");
  script.custom = answer_with_all_bits;
  QueryOptions first;
  first.rd = true;
  REQUIRE(f.q("a.example.org.", "A", first).rcode == "NOERROR");
  REQUIRE(script.calls == 1);
  for (bool rd : {false, true}) {
    for (bool ad_asked : {false, true}) {
      QueryOptions o;
      o.rd = rd;
      o.id = static_cast<uint16_t>(0x100 + rd * 2 + ad_asked);
      auto wire = cxxdns::testing::make_query("a.example.org.", dns::type::A, o);
      if (ad_asked) dns::put16(wire.data() + 2, dns::get16(wire.data() + 2) | flag::AD);
      auto a = f.t.query_wire(wire, o);
      REQUIRE(a.answered);
      CAPTURE(rd, ad_asked);
      CHECK(script.calls == 1);  // a hit
      const uint16_t got = flags_of(a);
      CHECK(a.id == o.id);
      CHECK((got & flag::QR) != 0);
      CHECK((got & flag::OPCODE_MASK) == 0);
      CHECK((got & flag::AA) != 0);  // CoreDNS sets AA on every hit
      CHECK((got & flag::TC) == 0);
      CHECK(((got & flag::RD) != 0) == rd);  // the asker's, not the first asker's
      CHECK((got & flag::RA) != 0);          // the stored answer's
      CHECK((got & flag::Z) == 0);
      CHECK(((got & flag::AD) != 0) == ad_asked);  // only to who asked for AD (or DO)
      CHECK((got & flag::CD) == 0);
      CHECK((got & flag::RCODE_MASK) == 0);
    }
  }
}

TEST_CASE("cache: a hit's CD is the query's and AD follows DO", "[cache]") {
  Fixture f("cache");
  script.custom = answer_with_all_bits;
  QueryOptions cd;
  cd.cd = true;
  cd.bufsize = 1232;
  cd.do_bit = true;
  f.q("a.example.org.", "A", cd);
  auto a = f.q("a.example.org.", "A", cd);
  CHECK(script.calls == 1);
  CHECK((flags_of(a) & flag::CD) != 0);
  CHECK((flags_of(a) & flag::AD) != 0);  // DO set: AD kept
  CHECK((flags_of(a) & flag::RD) != 0);
}

TEST_CASE("cache: a hit keeps the stored rcode and RA clear when the answer had it clear",
          "[cache]") {
  Fixture f("cache");
  script.rcode = dns::rcode::NXDOMAIN;
  script.soa = true;
  f.q("gone.example.org.");
  auto a = f.q("gone.example.org.");
  CHECK(script.calls == 1);
  CHECK(a.rcode == "NXDOMAIN");
  CHECK((flags_of(a) & flag::RA) == 0);
  CHECK((flags_of(a) & flag::AA) != 0);
}

TEST_CASE("cache: the miss's answer loses AD when the asker asked neither DO nor AD", "[cache]") {
  Fixture f("cache");
  script.custom = answer_with_all_bits;
  auto a = f.q("a.example.org.");
  CHECK((flags_of(a) & flag::AD) == 0);
}

TEST_CASE("cache: only the question's case is restored, not other names'", "[cache]") {
  Fixture f("cache");
  script.custom = answer_cname_into_question;
  auto first = f.q("www.example.org.");
  REQUIRE(first.answer.size() == 2);
  CHECK(first.answer[0] == "www.example.org.\t300\tIN\tCNAME\thost.example.org.");

  auto hit = f.q("wwW.eXaMplE.oRG.");
  CHECK(script.calls == 1);
  REQUIRE(hit.answer.size() == 2);
  // The question and the owner equal to it: the asker's case.
  CHECK(std::string(hit.wire.begin() + 13, hit.wire.begin() + 16) == "wwW");
  CHECK(hit.answer[0] == "wwW.eXaMplE.oRG.\t300\tIN\tCNAME\thost.example.org.");
  // The target and its record: as stored.
  CHECK(hit.answer[1] == "host.example.org.\t300\tIN\tA\t10.0.0.7");
}

TEST_CASE("cache: names stored in the first asker's case keep it for every later asker",
          "[cache]") {
  Fixture f("cache");
  script.custom = answer_cname_into_question;
  auto first = f.q("WWW.Example.ORG.");
  REQUIRE(first.answer.size() == 2);
  CHECK(first.answer[1] == "host.Example.ORG.\t300\tIN\tA\t10.0.0.7");
  auto hit = f.q("www.example.org.");
  CHECK(script.calls == 1);
  REQUIRE(hit.answer.size() == 2);
  CHECK(hit.answer[0] == "www.example.org.\t300\tIN\tCNAME\thost.Example.ORG.");
  CHECK(hit.answer[1] == "host.Example.ORG.\t300\tIN\tA\t10.0.0.7");
}

TEST_CASE("cache: an owner equal to the question but spelled out takes the asker's case",
          "[cache]") {
  Fixture f("cache");
  script.custom = [](cxxdns::QueryContext& ctx) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
    // The owner in another case than the question: the writer does not compress it.
    const uint8_t addr[4] = {10, 0, 0, 9};
    w.a(name("WWW.EXAMPLE.ORG."), 300, addr);
  };
  f.q("www.example.org.");
  auto hit = f.q("Www.Example.Org.");
  CHECK(script.calls == 1);
  REQUIRE(hit.answer.size() == 1);
  CHECK(hit.answer[0] == "Www.Example.Org.\t300\tIN\tA\t10.0.0.9");
}

TEST_CASE("cache: a denial after a CNAME is kept for the CNAME's TTL, not the SOA's", "[cache]") {
  Fixture f("cache");
  script.custom = [](cxxdns::QueryContext& ctx) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NXDOMAIN, false);
    w.name_rr(ctx.q().qname, dns::type::CNAME, 8, name("gone.example.org."));
    w.section(dns::Section::authority);
    w.begin_rr(name("example.org."), dns::type::SOA, dns::cls::IN, 60);
    w.rd_name(name("ns.example.org.")), w.rd_name(name("admin.example.org."));
    for (uint32_t v : {1u, 7200u, 3600u, 1209600u, 60u}) w.rd_u32(v);
    w.end_rr();
  };
  auto a = f.q("alias.example.org.");
  REQUIRE(a.rcode == "NXDOMAIN");
  REQUIRE(a.answer.size() == 1);
  CHECK(ttl_of(a.answer[0]) == 8);
  advance(7);
  CHECK(ttl_of(f.q("alias.example.org.").answer[0]) == 1);
  CHECK(script.calls == 1);
  advance(1);
  f.q("alias.example.org.");
  CHECK(script.calls == 2);  // expired with the CNAME
}

TEST_CASE("cache: a record in the additional section counts for the TTL too", "[cache]") {
  Fixture f("cache");
  script.custom = [](cxxdns::QueryContext& ctx) {
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
    w.name_rr(ctx.q().qname, dns::type::NS, 600, name("ns.example.org."));
    w.section(dns::Section::additional);
    const uint8_t addr[4] = {10, 0, 0, 53};
    w.a(name("ns.example.org."), 20, addr);
  };
  auto a = f.q("example.org.", "NS");
  REQUIRE(a.answer.size() == 1);
  CHECK(ttl_of(a.answer[0]) == 20);
  advance(20);
  f.q("example.org.", "NS");
  CHECK(script.calls == 2);
}
