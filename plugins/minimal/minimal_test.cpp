// minimal: positive answers lose their authority and additional sections, as CoreDNS's
// minimal (its TestMinimizeResponse and TestMinimizeResponseEDNS cases).
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/dns/message.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/minimal/minimal.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
namespace dns = cxxdns::dns;

namespace {

dns::Name name(const char* text) {
  dns::Name n;
  dns::from_text(text, n);
  return n;
}

// What the stand-in after minimal answers: rcode, and which sections it fills.
struct Reply {
  uint8_t rcode = dns::rcode::NOERROR;
  bool answer = true, ns = false, soa = false, extra = true, opt = false;
};

void write_reply(cxxdns::QueryContext& ctx, const Reply& r) {
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), r.rcode, false);
  const uint8_t a[4] = {142, 250, 76, 46};
  if (r.answer) w.a(ctx.q().qname, 293, a);
  w.section(dns::Section::authority);
  if (r.ns) {
    for (const char* n : {"ns1.example.com.", "ns2.example.com."}) {
      w.name_rr(name("example.com."), dns::type::NS, 157127, name(n));
    }
  }
  if (r.soa) {
    w.begin_rr(name("example.com."), dns::type::SOA, dns::cls::IN, 3600);
    w.rd_name(name("ns1.example.com."));
    w.rd_name(name("hostmaster.example.com."));
    for (uint32_t v : {1u, 2u, 3u, 4u, 5u}) w.rd_u32(v);
    w.end_rr();
  }
  w.section(dns::Section::additional);
  if (r.opt) {
    // An upstream's OPT record with an option of its own, before the other records.
    w.begin_rr(name("."), dns::type::OPT, 4096, 0);
    const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    w.rd_bytes(cookie);
    w.end_rr();
  }
  if (r.extra) {
    const uint8_t b[4] = {216, 239, 34, 10};
    w.a(name("ns1.example.com."), 316273, b);
    const uint8_t c[16] = {0x20, 0x01, 0x48, 0x60, 0x48, 0x02, 0, 0x34, 0, 0, 0, 0, 0, 0, 0, 0x0a};
    w.aaaa(name("ns1.example.com."), 157127, c);
  }
}

cxxdns::testing::Answer run(const Reply& r, QueryOptions o = {}) {
  auto reg = cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "minimal", "next", [r] {
    auto h = std::make_unique<NextHandler>();
    h->write = [r](cxxdns::QueryContext& ctx) { write_reply(ctx, r); };
    return h;
  });
  cxxdns::BuildOptions b;
  b.registry = &reg;
  ChainTest t(". {\n  minimal\n  next\n}\n", b);
  return t.query("example.com.", "A", o);
}

}  // namespace

TEST_CASE("minimal: NOERROR with answers keeps the answer section only", "[minimal]") {
  Reply r;
  r.ns = true;
  auto a = run(r);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer == std::vector<std::string>{"example.com.\t293\tIN\tA\t142.250.76.46"});
  CHECK(a.authority.empty());
  CHECK(a.additional.empty());
}

TEST_CASE("minimal: a delegation is left as it is", "[minimal]") {
  Reply r;
  r.answer = false;
  r.ns = true;
  auto a = run(r);
  CHECK(a.authority.size() == 2);
  CHECK(a.additional.size() == 2);
}

TEST_CASE("minimal: negative answers are left as they are", "[minimal]") {
  Reply servfail;
  servfail.rcode = dns::rcode::SERVFAIL;
  servfail.ns = true;
  auto a = run(servfail);
  CHECK(a.rcode == "SERVFAIL");
  CHECK(a.answer.size() == 1);
  CHECK(a.authority.size() == 2);
  CHECK(a.additional.size() == 2);
  Reply nodata;
  nodata.answer = false;
  nodata.soa = true;
  CHECK(run(nodata).authority.size() == 1);
  CHECK(run(nodata).additional.size() == 2);
  Reply nxdomain = nodata;
  nxdomain.rcode = dns::rcode::NXDOMAIN;
  CHECK(run(nxdomain).authority.size() == 1);
}

TEST_CASE("minimal: NOERROR without answer, SOA or NS is reduced too", "[minimal]") {
  Reply r;
  r.answer = false;
  auto a = run(r);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.additional.empty());
}

TEST_CASE("minimal: the OPT record stays, with the answer's options", "[minimal]") {
  Reply r;
  r.ns = true;
  r.opt = true;
  QueryOptions o;
  o.bufsize = 1232;
  auto a = run(r, o);
  CHECK(a.answer.size() == 1);
  CHECK(a.authority.empty());
  CHECK(a.additional.empty());
  REQUIRE(a.has_opt);
  bool cookie = false;
  REQUIRE(dns::walk_records(a.wire, [&](const dns::RecordRef& rr) {
    if (rr.type == dns::type::OPT) cookie = rr.rdata_len == 12 && a.wire[rr.rdata_offset + 1] == 10;
    return true;
  }));
  CHECK(cookie);
}

TEST_CASE("minimal: with DO, an expired signature leaves the answer as it is", "[minimal]") {
  // Checked on the message itself: the A answer plus an RRSIG whose validity ended in 2001.
  std::vector<uint8_t> msg;
  dns::MessageWriter w(msg);
  dns::Header h;
  h.flags = dns::flag::QR;
  w.start(h);
  w.question(name("example.com."), dns::type::A, dns::cls::IN);
  const uint8_t a[4] = {192, 0, 2, 1};
  w.a(name("example.com."), 60, a);
  w.begin_rr(name("example.com."), 46, dns::cls::IN, 60);
  const uint8_t sig_head[8] = {0, 1, 8, 2, 0, 0, 0, 60};
  w.rd_bytes(sig_head);
  w.rd_u32(1000000000);  // expiration: 2001
  w.rd_u32(999000000);   // inception
  w.rd_u16(12345);
  w.rd_name(name("example.com."));
  w.rd_u32(0);
  w.end_rr();
  w.section(dns::Section::authority);
  w.name_rr(name("example.com."), dns::type::NS, 60, name("ns1.example.com."));
  w.opt(1232, true);
  dns::AnswerShape shape;
  REQUIRE(dns::read_shape(msg, shape));
  CHECK_FALSE(cxxdns::plugins::minimizable(msg, shape, dns::type::A, 1700000000));
  // Valid at 999500000, or without DO: reduced.
  CHECK(cxxdns::plugins::minimizable(msg, shape, dns::type::A, 999500000));
  CHECK(cxxdns::plugins::strip_to_answer(msg, shape));
  REQUIRE(dns::read_shape(msg, shape));
  CHECK(shape.hdr.ancount == 2);
  CHECK(shape.hdr.nscount == 0);
  CHECK(shape.hdr.arcount == 1);
  CHECK(shape.has_opt);
}

TEST_CASE("minimal: takes no arguments", "[minimal]") {
  CHECK_THROWS_WITH(ChainTest(". {\n  minimal x\n  whoami\n}\n"),
                    "plugin/minimal: Corefile:2 - Error during parsing: Wrong argument count or "
                    "unexpected line ending after 'x'");
}
