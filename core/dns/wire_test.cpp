// The wire view: what parse_query accepts, what it turns into FORMERR, what it drops.
#include <catch2/catch.hpp>

#include "core/dns/message.h"
#include "core/dns/response.h"
#include "core/dns/writer.h"
#include "core/plugin/testing.h"

using namespace cxxdns;
using cxxdns::testing::make_query;

namespace {
std::vector<uint8_t> header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0,
                            uint16_t ns = 0, uint16_t ar = 0) {
  std::vector<uint8_t> m(12);
  dns::Header{id, flags, qd, an, ns, ar}.write(m.data());
  return m;
}
}  // namespace

TEST_CASE("a plain query is read in place", "[wire]") {
  auto m = make_query("WWW.Example.ORG.", dns::type::AAAA);
  dns::QueryView q;
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  CHECK(q.hdr.id == 0x1234);
  CHECK(q.qtype == dns::type::AAAA);
  CHECK(q.qclass == dns::cls::IN);
  CHECK(dns::to_text(q.qname) == "WWW.Example.ORG.");
  CHECK(dns::to_text(q.qname_lower) == "www.example.org.");
  CHECK_FALSE(q.edns.present);
  CHECK(q.udp_size() == 512);
}

TEST_CASE("EDNS: size, DO bit, and sizes below 512 count as 512", "[wire]") {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  o.do_bit = true;
  auto m = make_query("example.org.", dns::type::A, o);
  dns::QueryView q;
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  CHECK(q.edns.present);
  CHECK(q.edns.do_bit);
  CHECK(q.udp_size() == 1232);
  o.bufsize = 100;
  o.do_bit = false;
  m = make_query("example.org.", dns::type::A, o);
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  CHECK(q.udp_size() == 512);
  CHECK_FALSE(q.edns.do_bit);
}

TEST_CASE("UDP answers are limited to what IPv4 can carry, whatever EDNS says", "[wire]") {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 65535;
  auto m = make_query("example.org.", dns::type::A, o);
  dns::QueryView q;
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  CHECK(q.udp_size() == 65535);  // as announced (log shows it, the OPT echoes it)
  CHECK(q.udp_answer_limit() == 65507);
  o.bufsize = 4096;
  m = make_query("example.org.", dns::type::A, o);
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  CHECK(q.udp_answer_limit() == 4096);
}

TEST_CASE("malformed queries", "[wire]") {
  dns::QueryView q;
  SECTION("shorter than a header: dropped") {
    std::vector<uint8_t> m = {0x12, 0x34, 0x01};
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::drop);
  }
  SECTION("a response: dropped") {
    auto m = make_query("example.org.", dns::type::A);
    m[2] |= 0x80;
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::drop);
  }
  SECTION("label running past the end: FORMERR") {
    auto m = header(1, 0, 1);
    m.insert(m.end(), {20, 'a', 'b', 'c'});
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
  }
  SECTION("compression pointer loop: FORMERR") {
    auto m = header(1, 0, 1);
    m.insert(m.end(), {0xc0, 12, 0, 1, 0, 1});  // points at itself
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
    auto m2 = header(1, 0, 1);
    m2.insert(m2.end(), {1, 'a', 0xc0, 12, 0, 1, 0, 1});  // points back at its own start
    CHECK(dns::parse_query(m2, q) == dns::QueryCheck::formerr);
  }
  SECTION("no question, two questions: FORMERR") {
    CHECK(dns::parse_query(header(1, 0, 0), q) == dns::QueryCheck::formerr);
    auto m = make_query("a.", dns::type::A);
    dns::put16(m.data() + 4, 2);
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
  }
  SECTION("garbage after the question: FORMERR") {
    auto m = make_query("example.org.", dns::type::A);
    m.insert(m.end(), {1, 2, 3});
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
  }
  SECTION("record counts larger than the message: FORMERR") {
    auto m = make_query("example.org.", dns::type::A);
    dns::put16(m.data() + 10, 3);
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
  }
  SECTION("two OPT records: FORMERR") {
    cxxdns::testing::QueryOptions o;
    o.bufsize = 1232;
    auto m = make_query("example.org.", dns::type::A, o);
    dns::MessageWriter::append_opt(m, 1232, false);
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
  }
  SECTION("a name over 255 bytes: FORMERR") {
    auto m = header(1, 0, 1);
    for (int i = 0; i < 5; ++i) {
      m.push_back(63);
      m.insert(m.end(), 63, 'x');
    }
    m.insert(m.end(), {0, 0, 1, 0, 1});
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::formerr);
  }
  SECTION("an opcode other than QUERY and NOTIFY: NOTIMP") {
    auto m = make_query("example.org.", dns::type::A);
    m[2] |= 0x10;  // opcode 2 (STATUS)
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::notimp);
  }
  SECTION("NOTIFY goes to the plugins (secondary zones take it)") {
    auto m = make_query("example.org.", dns::type::SOA);
    m[2] |= 0x20;  // opcode 4 (NOTIFY)
    CHECK(dns::parse_query(m, q) == dns::QueryCheck::ok);
    CHECK(q.hdr.opcode() == dns::opcode::NOTIFY);
  }
}

TEST_CASE("names: text forms, escapes, subdomains", "[wire]") {
  dns::Name n;
  REQUIRE(dns::from_text("a\\.b.Example.org", n));
  CHECK(n.label_count() == 3);
  CHECK(dns::to_text(n) == "a\\.b.Example.org.");
  CHECK(dns::canonical("Example.ORG") == "example.org.");
  REQUIRE(dns::from_text(".", n));
  CHECK(n.is_root());
  CHECK_FALSE(dns::from_text("a..b", n));
  CHECK_FALSE(dns::from_text(std::string(64, 'x') + ".org", n));
  dns::Name zone, name, other;
  dns::from_text("example.org.", zone);
  dns::from_text("www.example.org.", name);
  dns::from_text("wwwexample.org.", other);
  CHECK(dns::is_subdomain(name, zone));
  CHECK(dns::is_subdomain(zone, zone));
  CHECK_FALSE(dns::is_subdomain(other, zone));
  CHECK(dns::is_subdomain("www.example.org.", "example.org."));
  CHECK_FALSE(dns::is_subdomain("wwwexample.org.", "example.org."));
  CHECK(dns::is_subdomain("anything.", "."));
}

TEST_CASE("the writer compresses repeated names", "[wire]") {
  auto m = make_query("www.example.org.", dns::type::A);
  dns::QueryView q;
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  w.start_reply(q, dns::rcode::NOERROR, true);
  const uint8_t addr[4] = {10, 0, 0, 1};
  w.a(q.qname, 60, addr);
  w.a(q.qname, 60, addr);
  // Header 12 + question 21 + two records of (pointer 2 + 10 + 4).
  CHECK(out.size() == 12 + 21 + 2 * 16);
  auto a = cxxdns::testing::parse_answer(out);
  REQUIRE(a.answer.size() == 2);
  CHECK(a.answer[0] == "www.example.org.\t60\tIN\tA\t10.0.0.1");
  CHECK(a.aa());
}

TEST_CASE("truncation keeps OPT, cuts at a record boundary and sets TC", "[wire]") {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  auto m = make_query("big.example.", dns::type::A, o);
  dns::QueryView q;
  REQUIRE(dns::parse_query(m, q) == dns::QueryCheck::ok);
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  w.start_reply(q, dns::rcode::NOERROR, true);
  for (int i = 0; i < 60; ++i) {
    const uint8_t addr[4] = {10, 0, 0, static_cast<uint8_t>(i)};
    w.a(q.qname, 60, addr);
  }
  w.opt(1232, false);
  const size_t full = out.size();
  REQUIRE(full > 512);
  std::vector<uint8_t> cut = out;
  REQUIRE(dns::truncate_to(cut, 512));
  CHECK(cut.size() <= 512);
  auto a = cxxdns::testing::parse_answer(cut);
  CHECK(a.tc());
  CHECK(a.has_opt);
  CHECK(a.answer.size() == (512 - 12 - 17 - 11) / 16);
  std::vector<uint8_t> same = out;
  REQUIRE(dns::truncate_to(same, full));
  CHECK(same == out);
}

TEST_CASE("finalize: ID restored, OPT mirrored or removed, UDP truncated, TCP whole", "[wire]") {
  auto plain = make_query("big.example.", dns::type::A);
  dns::QueryView q;
  REQUIRE(dns::parse_query(plain, q) == dns::QueryCheck::ok);
  std::vector<uint8_t> body;
  dns::MessageWriter w(body);
  w.start_reply(q, dns::rcode::NOERROR, true);
  for (int i = 0; i < 60; ++i) {
    const uint8_t addr[4] = {10, 0, 1, static_cast<uint8_t>(i)};
    w.a(q.qname, 60, addr);
  }
  w.opt(4096, false);  // an upstream's OPT, which a client without EDNS must not get
  dns::put16(body.data(), 0x9999);
  auto udp = body;
  dns::finalize_response(udp, q, true);
  auto a = cxxdns::testing::parse_answer(udp);
  CHECK(a.id == 0x1234);
  CHECK_FALSE(a.has_opt);
  CHECK(a.tc());
  CHECK(udp.size() <= 512);
  auto tcp = body;
  dns::finalize_response(tcp, q, false);
  a = cxxdns::testing::parse_answer(tcp);
  CHECK_FALSE(a.tc());
  CHECK(a.answer.size() == 60);

  cxxdns::testing::QueryOptions o;
  o.bufsize = 1400;
  o.do_bit = true;
  auto edns_q = make_query("big.example.", dns::type::A, o);
  REQUIRE(dns::parse_query(edns_q, q) == dns::QueryCheck::ok);
  std::vector<uint8_t> small;
  dns::MessageWriter w2(small);
  w2.start_reply(q, dns::rcode::NXDOMAIN, true);
  dns::finalize_response(small, q, true);
  a = cxxdns::testing::parse_answer(small);
  CHECK(a.has_opt);
  CHECK(a.rcode == "NXDOMAIN");
}

TEST_CASE("a name repeating its own labels is written whole, not pointing into itself", "[wire]") {
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  dns::Header h;
  w.start(h);
  dns::Name n;
  REQUIRE(dns::from_text("aa.aa.aa.", n));
  w.question(n, dns::type::A, dns::cls::IN);
  w.section(dns::Section::answer);
  const uint8_t addr[4] = {192, 0, 2, 1};
  w.a(n, 60, addr);
  auto a = cxxdns::testing::parse_answer(out);
  REQUIRE(a.answered);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "aa.aa.aa.\t60\tIN\tA\t192.0.2.1");
  // Question name in full (10 bytes), the answer's owner as one pointer to it.
  CHECK(out.size() == 12 + 10 + 4 + 2 + 10 + 4);
}

TEST_CASE("walking records: owners that point to the question, and ones that may not", "[wire]") {
  // example.org. A, answered with two records whose owner is a pointer to the question.
  auto m = header(1, dns::flag::QR, 1, 2);
  const uint8_t question[] = {7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 3,
                              'o', 'r', 'g', 0,   0,   1,   0,   1};
  m.insert(m.end(), question, question + sizeof question);
  const uint8_t record[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1};
  for (int i = 0; i < 2; ++i) m.insert(m.end(), record, record + sizeof record);
  std::vector<uint32_t> ttls;
  REQUIRE(dns::walk_records(m, [&](const dns::RecordRef& r) {
    CHECK(r.type == dns::type::A);
    ttls.push_back(r.ttl);
    return true;
  }));
  CHECK(ttls == std::vector<uint32_t>{60, 60});
  CHECK(dns::response_rcode(m) == dns::rcode::NOERROR);

  // With no question, offset 12 is the record itself: a pointer to it points at itself.
  auto bad = header(1, dns::flag::QR, 0, 1);
  bad.insert(bad.end(), record, record + sizeof record);
  CHECK_FALSE(dns::walk_records(bad, [](const dns::RecordRef&) { return true; }));

  // A record cut short right after a pointer to the question is malformed too.
  auto cut = m;
  cut.resize(m.size() - sizeof record + 3);
  CHECK_FALSE(dns::walk_records(cut, [](const dns::RecordRef&) { return true; }));
}
