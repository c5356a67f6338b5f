// Zone files to ZoneData: the directives, every common type, errors with their place, the
// canonical order, and the lookups every answer shape comes from.
#include <catch2/catch.hpp>

#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/plugin/testing.h"
#include "plugins/pkg/zone/lookup.h"
#include "plugins/pkg/zone/parse.h"
#include "plugins/pkg/zone/test_files.h"
#include "plugins/pkg/zone/xfr.h"

using namespace cxxdns;
using namespace cxxdns::pkg::zone;
using cxxdns::pkg::zone::testing::example_zone;
using cxxdns::pkg::zone::testing::TempDir;

namespace {

dns::Name name(std::string_view text) {
  dns::Name n;
  REQUIRE(dns::from_text(text, n));
  n.to_lower();
  return n;
}

ParseResult parse(const std::string& text, std::string_view origin = "example.org.") {
  return parse_zone_text(text, "db.test", name(origin));
}

// The answer a plan makes for `qname`/`qtype`, as presentation lines by section.
cxxdns::testing::Answer answer(const ZoneData& z, std::string_view qname, std::string_view qtype,
                               bool do_bit = false) {
  const uint16_t t = dns::type_from_name(qtype);
  auto query = cxxdns::testing::make_query(qname, t);
  dns::QueryView q;
  REQUIRE(dns::parse_query(query, q) == dns::QueryCheck::ok);
  const Plan p = lookup(z, q.qname_lower, t, do_bit);
  std::vector<uint8_t> out;
  dns::MessageWriter w(out);
  w.start_reply(q, p.rcode(), p.authoritative());
  write_answer(w, z, p, q);
  write_rest(w, z, p, q, do_bit);
  return cxxdns::testing::parse_answer(out);
}

std::vector<std::string> transfer_lines(const ZoneData& z, uint32_t serial) {
  std::vector<std::string> out;
  emit_zone(z, serial, [&](const RecordView& rr) {
    std::vector<uint8_t> msg;
    dns::MessageWriter w(msg);
    w.start(dns::Header{});
    write_record(w, rr.owner, rr.type, rr.klass, rr.ttl, rr.rdata);
    auto a = cxxdns::testing::parse_answer(msg);
    out.push_back(a.answer.empty() ? "?" : a.answer[0]);
  });
  return out;
}

}  // namespace

TEST_CASE("zone files: directives, relative names and the common types", "[zone]") {
  auto r = parse(example_zone());
  INFO(r.error);
  REQUIRE(r.zone);
  const ZoneData& z = *r.zone;
  CHECK(z.serial() == 2024010101);
  CHECK(z.soa_fields().refresh == 7200);
  CHECK(z.soa_fields().minimum == 300);
  CHECK(r.outside == 0);
  // $TTL for records without one, the record's own TTL otherwise.
  CHECK(answer(z, "www.example.org.", "A").answer ==
        std::vector<std::string>{"www.example.org.\t300\tIN\tA\t192.0.2.80"});
  CHECK(answer(z, "www.example.org.", "AAAA").answer[0] ==
        "www.example.org.\t3600\tIN\tAAAA\t2001:db8::80");
  CHECK(answer(z, "www.example.org.", "TXT").answer[0] ==
        "www.example.org.\t3600\tIN\tTXT\t\"v=spf1 -all\" \"second string\"");
  CHECK(answer(z, "caa.example.org.", "CAA").answer.size() == 1);
  CHECK(answer(z, "sshfp.example.org.", "SSHFP").answer.size() == 1);
  CHECK(answer(z, "ptr.example.org.", "PTR").answer[0] ==
        "ptr.example.org.\t3600\tIN\tPTR\twww.example.org.");
  CHECK(answer(z, "example.org.", "MX").answer[0] ==
        "example.org.\t3600\tIN\tMX\t10 mail.example.org.");
}

TEST_CASE("zone files: $ORIGIN changes and $INCLUDE with its own origin", "[zone]") {
  TempDir dir;
  dir.write("inc/hosts.db", "$TTL 60\nh1 IN A 10.0.0.1\nh2 IN A 10.0.0.2\n");
  dir.write("more.db", "m IN TXT \"more\"\n");
  const std::string main = dir.write("db.example.org",
                                     "$ORIGIN example.org.\n"
                                     "@ 3600 IN SOA ns hm 7 1 1 1 1\n"
                                     "@ 3600 IN NS ns\n"
                                     "ns 3600 IN A 10.0.0.53\n"
                                     "$INCLUDE inc/hosts.db lan\n"
                                     "after 3600 IN A 10.0.0.3\n"
                                     "$INCLUDE more.db\n"
                                     "$ORIGIN sub.example.org.\n"
                                     "deep 3600 IN A 10.0.0.4\n");
  auto r = parse_zone_file(main, name("example.org."));
  INFO(r.error);
  REQUIRE(r.zone);
  // The included file's names are relative to the origin its line gave...
  CHECK(answer(*r.zone, "h1.lan.example.org.", "A").answer ==
        std::vector<std::string>{"h1.lan.example.org.\t60\tIN\tA\t10.0.0.1"});
  // ...and after it the origin is the including file's again (RFC 1035 5.1).
  CHECK(answer(*r.zone, "after.example.org.", "A").answer.size() == 1);
  CHECK(answer(*r.zone, "m.example.org.", "TXT").answer.size() == 1);
  CHECK(answer(*r.zone, "deep.sub.example.org.", "A").answer.size() == 1);
}

TEST_CASE("zone files: errors name the file and line, and refuse the zone", "[zone]") {
  auto bad = parse("@ IN SOA ns hm 1 1 1 1 1\n@ IN NS ns\nwww IN A 300.1.2.3\n");
  CHECK_FALSE(bad.zone);
  CHECK_THAT(bad.error, Catch::Contains("db.test:3"));
  auto no_soa = parse("www IN A 10.0.0.1\n");
  CHECK_FALSE(no_soa.zone);
  CHECK_THAT(no_soa.error, Catch::Contains("has no SOA record for origin example.org."));
  auto nsec3 = parse("@ IN SOA ns hm 1 1 1 1 1\n@ IN NSEC3PARAM 1 0 10 abcd\n");
  CHECK_FALSE(nsec3.zone);
  CHECK_THAT(nsec3.error, Catch::Contains("NSEC3 zone is not supported"));
  auto include = parse("@ IN SOA ns hm 1 1 1 1 1\n$INCLUDE /nonexistent/file.db\n");
  CHECK_FALSE(include.zone);
  CHECK_THAT(include.error, Catch::Contains("db.test:2: cannot read $INCLUDE file"));
  // Names outside the zone are counted and skipped.
  auto outside = parse("@ IN SOA ns hm 1 1 1 1 1\nwww.example.com. IN A 10.0.0.1\n");
  REQUIRE(outside.zone);
  CHECK(outside.outside == 1);
  CHECK(outside.zone->find(name("www.example.com.").wire()) == nullptr);
}

TEST_CASE("zone data: canonical order, previous names and empty non-terminals", "[zone]") {
  auto r = parse(example_zone());
  REQUIRE(r.zone);
  const ZoneData& z = *r.zone;
  std::vector<std::string> names;
  for (const Node& n : z.nodes()) names.push_back(dns::to_text(z.name_of(n)));
  REQUIRE(names.size() > 5);
  CHECK(names[0] == "example.org.");
  CHECK(names[1] == "_sip._tcp.example.org.");  // '_' sorts before letters
  for (size_t i = 1; i < z.node_count(); ++i) {
    CHECK(compare_canonical(z.name(z.nodes()[i - 1]), z.name(z.nodes()[i])) < 0);
  }
  // "ent" holds nothing but has a name below it.
  CHECK(z.find(name("ent.example.org.").wire()) == nullptr);
  CHECK(z.has_descendant(name("ent.example.org.").wire()));
  CHECK_FALSE(z.has_descendant(name("www.example.org.").wire()));
  const Node* p = z.prev(name("wwa.example.org.").wire());
  REQUIRE(p);
  CHECK(dns::to_text(z.name_of(*p)) == "*.wild.example.org.");
  CHECK(compare_canonical(name("a.example.").wire(), name("b.a.example.").wire()) < 0);
  CHECK(compare_canonical(name("z.a.example.").wire(), name("b.example.").wire()) < 0);
}

TEST_CASE("zone lookups: every shape of answer", "[zone]") {
  auto r = parse(example_zone());
  REQUIRE(r.zone);
  const ZoneData& z = *r.zone;
  const std::vector<std::string> apex_ns{"example.org.\t3600\tIN\tNS\tns1.example.org.",
                                         "example.org.\t3600\tIN\tNS\tns2.example.net."};
  SECTION("exact name: the records, the apex NS in authority") {
    auto a = answer(z, "www.example.org.", "A");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.aa());
    CHECK(a.authority == apex_ns);
  }
  SECTION("NODATA: NOERROR with the SOA") {
    auto a = answer(z, "www.example.org.", "MX");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.empty());
    REQUIRE(a.authority.size() == 1);
    CHECK_THAT(a.authority[0], Catch::StartsWith("example.org.\t3600\tIN\tSOA\tns1.example.org."));
  }
  SECTION("NXDOMAIN with the SOA") {
    auto a = answer(z, "nope.example.org.", "A");
    CHECK(a.rcode == "NXDOMAIN");
    CHECK(a.aa());
    REQUIRE(a.authority.size() == 1);
    CHECK_THAT(a.authority[0], Catch::Contains("SOA"));
  }
  SECTION("an empty non-terminal is NODATA, not NXDOMAIN") {
    auto a = answer(z, "b.ent.example.org.", "A");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.empty());
  }
  SECTION("a CNAME chain followed inside the zone") {
    auto a = answer(z, "chain.example.org.", "AAAA");
    CHECK(a.answer ==
          std::vector<std::string>{"chain.example.org.\t3600\tIN\tCNAME\talias.example.org.",
                                   "alias.example.org.\t3600\tIN\tCNAME\twww.example.org.",
                                   "www.example.org.\t3600\tIN\tAAAA\t2001:db8::80"});
    CHECK(a.authority == apex_ns);
    // Asked for the CNAME itself: just it.
    CHECK(answer(z, "chain.example.org.", "CNAME").answer.size() == 1);
  }
  SECTION("a CNAME loop ends after a few steps") {
    auto a = answer(z, "loop1.example.org.", "A");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.size() <= 10);
  }
  SECTION("a CNAME out of the zone: the CNAME, and the target is left to a lookup") {
    const Plan p = lookup(z, name("ext.example.org."), dns::type::A, false);
    CHECK(p.external);
    CHECK(dns::to_text(p.external_target) == "www.example.net.");
    CHECK(answer(z, "ext.example.org.", "A").answer.size() == 1);
  }
  SECTION("a wildcard answers under the query name") {
    auto a = answer(z, "anything.wild.example.org.", "TXT");
    CHECK(a.answer ==
          std::vector<std::string>{"anything.wild.example.org.\t3600\tIN\tTXT\t\"wildcard\""});
    CHECK(answer(z, "x.y.wild.example.org.", "A").answer ==
          std::vector<std::string>{"x.y.wild.example.org.\t3600\tIN\tA\t192.0.2.99"});
    auto nodata = answer(z, "anything.wild.example.org.", "AAAA");
    CHECK(nodata.rcode == "NOERROR");
    CHECK(nodata.answer.empty());
    CHECK_THAT(nodata.authority[0], Catch::Contains("SOA"));
    // A wildcard CNAME is followed.
    CHECK(answer(z, "foo.wc.example.org.", "A").answer ==
          std::vector<std::string>{"foo.wc.example.org.\t3600\tIN\tCNAME\twww.example.org.",
                                   "www.example.org.\t300\tIN\tA\t192.0.2.80"});
  }
  SECTION("a delegation: not authoritative, NS in authority, glue in additional") {
    for (auto q : {"sub.example.org.", "host.sub.example.org.", "ns.sub.example.org."}) {
      auto a = answer(z, q, "A");
      CHECK(a.rcode == "NOERROR");
      CHECK_FALSE(a.aa());
      CHECK(a.answer.empty());
      CHECK(a.authority ==
            std::vector<std::string>{"sub.example.org.\t3600\tIN\tNS\tns.sub.example.org.",
                                     "sub.example.org.\t3600\tIN\tNS\tns.other.net."});
      // Glue only for the name under the cut.
      CHECK(a.additional ==
            std::vector<std::string>{"ns.sub.example.org.\t3600\tIN\tA\t192.0.2.53"});
    }
    // The DS is the parent's: answered from this zone.
    auto ds = answer(z, "sub.example.org.", "DS");
    CHECK(ds.aa());
    REQUIRE(ds.answer.size() == 1);
    CHECK_THAT(ds.answer[0], Catch::Contains("\tDS\t12345 13 2"));
  }
  SECTION("SOA and NS at the apex, the NS with its in-zone addresses") {
    auto soa = answer(z, "example.org.", "SOA");
    CHECK(soa.answer.size() == 1);
    CHECK(soa.authority == apex_ns);
    auto ns = answer(z, "example.org.", "NS");
    CHECK(ns.answer == apex_ns);
    CHECK(ns.additional == std::vector<std::string>{"ns1.example.org.\t3600\tIN\tA\t192.0.2.1"});
  }
  SECTION("MX and SRV targets' addresses in additional") {
    auto mx = answer(z, "example.org.", "MX");
    CHECK(mx.additional ==
          std::vector<std::string>{"mail.example.org.\t3600\tIN\tA\t192.0.2.25",
                                   "mail.example.org.\t3600\tIN\tAAAA\t2001:db8::25"});
    CHECK(answer(z, "_sip._tcp.example.org.", "SRV").additional.size() == 2);
  }
  SECTION("a DNAME makes a CNAME for the names below it") {
    auto a = answer(z, "x.d.example.org.", "A");
    CHECK(a.answer ==
          std::vector<std::string>{"d.example.org.\t3600\tIN\tDNAME\ttarget.example.org.",
                                   "x.d.example.org.\t3600\tIN\tCNAME\tx.target.example.org.",
                                   "x.target.example.org.\t3600\tIN\tA\t192.0.2.77"});
  }
  SECTION("the query name keeps the case it was asked in") {
    auto a = answer(z, "WwW.Example.ORG.", "A");
    REQUIRE(a.answer.size() == 1);
    CHECK_THAT(a.answer[0], Catch::StartsWith("WwW.Example.ORG.\t300"));
  }
}

TEST_CASE("zone lookups: DNSSEC records as stored, with DO only", "[zone]") {
  const std::string sig = " 20300101000000 20200101000000 12345 example.org. AAAAAAAAAAAAAAAA\n";
  auto r = parse(
      "$ORIGIN example.org.\n$TTL 3600\n"
      "@ IN SOA ns hm 1 7200 3600 1209600 300\n"
      "@ IN RRSIG SOA 13 2 3600" +
      sig +
      "@ IN NS ns\n"
      "@ IN RRSIG NS 13 2 3600" +
      sig +
      "@ IN NSEC ns.example.org. NS SOA RRSIG NSEC DNSKEY\n"
      "@ IN RRSIG NSEC 13 2 300" +
      sig +
      "@ IN DNSKEY 257 3 13 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
      "@ IN RRSIG DNSKEY 13 2 3600" +
      sig +
      "ns IN A 192.0.2.1\n"
      "ns IN RRSIG A 13 3 3600" +
      sig +
      "ns IN NSEC www.example.org. A RRSIG NSEC\n"
      "ns IN RRSIG NSEC 13 3 300" +
      sig +
      "www IN A 192.0.2.80\n"
      "www IN RRSIG A 13 3 3600" +
      sig +
      "www IN NSEC example.org. A RRSIG NSEC\n"
      "www IN RRSIG NSEC 13 3 300" +
      sig);
  INFO(r.error);
  REQUIRE(r.zone);
  const ZoneData& z = *r.zone;
  auto count = [](const std::vector<std::string>& lines, std::string_view type) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find("\t" + std::string(type) + "\t") != std::string::npos;
    });
  };
  // Without DO: no RRSIG, no NSEC.
  auto plain = answer(z, "www.example.org.", "A");
  CHECK(plain.answer.size() == 1);
  CHECK(count(plain.authority, "RRSIG") == 0);
  // With DO: each RRset with its RRSIGs.
  auto a = answer(z, "www.example.org.", "A", true);
  CHECK(a.answer.size() == 2);
  CHECK(count(a.answer, "RRSIG") == 1);
  CHECK(count(a.authority, "NS") == 1);
  CHECK(count(a.authority, "RRSIG") == 1);
  // NODATA with DO: SOA, its RRSIG, the name's NSEC and its RRSIG.
  auto nodata = answer(z, "www.example.org.", "AAAA", true);
  CHECK(count(nodata.authority, "SOA") == 1);
  CHECK(count(nodata.authority, "NSEC") == 1);
  CHECK(count(nodata.authority, "RRSIG") == 2);
  // NXDOMAIN with DO: the NSEC that covers the name.
  auto nx = answer(z, "nope.example.org.", "A", true);
  CHECK(nx.rcode == "NXDOMAIN");
  REQUIRE(count(nx.authority, "NSEC") >= 1);
  CHECK(std::any_of(nx.authority.begin(), nx.authority.end(), [](const std::string& l) {
    return l.starts_with("example.org.\t3600\tIN\tNSEC\tns.example.org.");  // covers "nope"
  }));
  auto keys = answer(z, "example.org.", "DNSKEY", true);
  CHECK(count(keys.answer, "DNSKEY") == 1);
  CHECK(count(keys.answer, "RRSIG") == 1);
  // Asked for by type, RRSIGs are records like any other.
  CHECK(answer(z, "www.example.org.", "RRSIG").answer.size() == 2);
}

TEST_CASE("zone transfers out: SOA first and last, every record once", "[zone]") {
  auto r = parse(example_zone());
  REQUIRE(r.zone);
  auto lines = transfer_lines(*r.zone, 0);
  REQUIRE(lines.size() == r.zone->record_count() + 1);
  CHECK_THAT(lines.front(), Catch::Contains("\tSOA\t"));
  CHECK(lines.back() == lines.front());
  CHECK_THAT(lines[1], Catch::Contains("\tNS\t"));
  // An IXFR from a client as new as the zone: the SOA alone; an older one: everything.
  CHECK(transfer_lines(*r.zone, 2024010101).size() == 1);
  CHECK(transfer_lines(*r.zone, 2024010102).size() == 1);
  CHECK(transfer_lines(*r.zone, 2024010100).size() == lines.size());
}

TEST_CASE("serial arithmetic follows RFC 1982", "[zone]") {
  CHECK(serial_less(1, 2));
  CHECK_FALSE(serial_less(2, 1));
  CHECK_FALSE(serial_less(5, 5));
  CHECK(serial_less(0xfffffff0u, 5));  // wrapped around
  CHECK_FALSE(serial_less(5, 0xfffffff0u));
}
