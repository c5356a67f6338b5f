// dns64: AAAA synthesis from A records (RFC 6147) as CoreDNS's dns64 and its tests: only for
// AAAA queries over IPv6 (or any with allow_ipv4), only when the answer has no AAAA (or
// always with translate_all), never for NXDOMAIN; RFC 6052's embedding for every prefix
// length; TTLs capped by the SOA's; setup errors.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "core/dns/constants.h"
#include "core/dns/writer.h"
#include "core/metrics/metrics.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/dns64/dns64.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
namespace dns = cxxdns::dns;

namespace {

// What the plugins after dns64 answer, as a zone would: a4.example. has only A 192.0.2.33
// (TTL 3600; its AAAA answer is NODATA with an SOA of TTL 300); both.example. has A 192.0.2.1
// and AAAA 2001:db8::1; nosoa.example. is NODATA without SOA for AAAA; anything else NXDOMAIN.
struct Zone {
  std::vector<std::string> asked;  // "name TYPE"
};

void write_soa(dns::MessageWriter& w, uint32_t ttl) {
  w.section(dns::Section::authority);
  dns::Name zone;
  dns::from_text("example.", zone);
  w.begin_rr(zone, dns::type::SOA, dns::cls::IN, ttl);
  w.rd_name(zone);
  w.rd_name(zone);
  for (uint32_t v : {1u, 7200u, 3600u, 1209600u, 3600u}) w.rd_u32(v);
  w.end_rr();
}

void answer(Zone& z, cxxdns::QueryContext& ctx) {
  const std::string name(ctx.qname_text());
  const uint16_t qtype = ctx.q().qtype;
  z.asked.push_back(name + (qtype == dns::type::A      ? " A"
                            : qtype == dns::type::AAAA ? " AAAA"
                                                       : " ?"));
  dns::MessageWriter w(ctx.writable_response());
  const bool known = name == "a4.example." || name == "both.example." || name == "nosoa.example.";
  w.start_reply(ctx.q(), known ? dns::rcode::NOERROR : dns::rcode::NXDOMAIN, true);
  if (!known) {
    write_soa(w, 300);
    return;
  }
  if (qtype == dns::type::A) {
    const uint8_t a4[4] = {192, 0, 2, 33}, both[4] = {192, 0, 2, 1};
    w.a(ctx.q().qname, 3600, name == "both.example." ? both : a4);
    return;
  }
  if (qtype == dns::type::AAAA && name == "both.example.") {
    uint8_t v6[16];
    inet_pton(AF_INET6, "2001:db8::1", v6);
    w.aaaa(ctx.q().qname, 3600, v6);
    return;
  }
  if (name != "nosoa.example.") write_soa(w, 300);
}

cxxdns::Registry registry(Zone& z) {
  return cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "dns64", "next", [&z] {
    auto h = std::make_unique<NextHandler>();
    h->write = [&z](cxxdns::QueryContext& ctx) { answer(z, ctx); };
    return h;
  });
}

QueryOptions v6_client() {
  QueryOptions o;
  o.client_ip = "::1";
  return o;
}

std::string embedded(const char* prefix, const char* v4) {
  auto p = cxxdns::pkg::IpPrefix::parse(prefix, true);
  REQUIRE(p);
  uint8_t a[4];
  REQUIRE(inet_pton(AF_INET, v4, a) == 1);
  auto out = cxxdns::plugins::embed_ipv4(*p, std::span<const uint8_t, 4>(a, 4));
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, out.data(), buf, sizeof buf);
  return buf;
}

std::string setup_error(const std::string& text) {
  try {
    ChainTest t(". {\n  " + text + "\n  whoami\n}\n");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

uint64_t translated(const std::string& server) {
  return cxxdns::metrics::Registry::global()
      .counter("coredns_dns64_requests_translated_total",
               "Counter of DNS requests translated by dns64.", {"server"})
      .with({server})
      .value();
}

}  // namespace

TEST_CASE("dns64: RFC 6052 2.4's examples, every prefix length", "[dns64]") {
  CHECK(embedded("2001:db8::/32", "192.0.2.33") == "2001:db8:c000:221::");
  CHECK(embedded("2001:db8:100::/40", "192.0.2.33") == "2001:db8:1c0:2:21::");
  CHECK(embedded("2001:db8:122::/48", "192.0.2.33") == "2001:db8:122:c000:2:2100::");
  CHECK(embedded("2001:db8:122:300::/56", "192.0.2.33") == "2001:db8:122:3c0:0:221::");
  CHECK(embedded("2001:db8:122:344::/64", "192.0.2.33") == "2001:db8:122:344:c0:2:2100:0");
  CHECK(embedded("2001:db8:122:344::/96", "192.0.2.33") == "2001:db8:122:344::c000:221");
  CHECK(embedded("64:ff9b::/96", "192.0.2.33") == "64:ff9b::c000:221");
}

TEST_CASE("dns64: an A-only name gets AAAA from its A, over IPv6", "[dns64]") {
  Zone z;
  auto reg = registry(z);
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  dns64\n  next\n}\n", o);
  const uint64_t before = translated("dns://:53");
  auto a = t.query("a4.example.", "AAAA", v6_client());
  REQUIRE(a.rcode == "NOERROR");
  // TTL: the A's 3600 capped by the SOA's 300 (RFC 6147 5.1.7).
  CHECK(a.answer == std::vector<std::string>{"a4.example.\t300\tIN\tAAAA\t64:ff9b::c000:221"});
  CHECK(z.asked == std::vector<std::string>{"a4.example. AAAA", "a4.example. A"});
  CHECK_FALSE(a.aa());
  CHECK(translated("dns://:53") == before + 1);
  // Without an SOA the cap is 600.
  a = t.query("nosoa.example.", "AAAA", v6_client());
  CHECK(a.answer == std::vector<std::string>{"nosoa.example.\t600\tIN\tAAAA\t64:ff9b::c000:221"});
}

TEST_CASE("dns64: names with AAAA, NXDOMAIN and other types pass unchanged", "[dns64]") {
  Zone z;
  auto reg = registry(z);
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  dns64\n  next\n}\n", o);
  auto a = t.query("both.example.", "AAAA", v6_client());
  CHECK(a.answer == std::vector<std::string>{"both.example.\t3600\tIN\tAAAA\t2001:db8::1"});
  CHECK(a.aa());
  a = t.query("missing.example.", "AAAA", v6_client());
  CHECK(a.rcode == "NXDOMAIN");
  CHECK(a.answer.empty());
  a = t.query("a4.example.", "A", v6_client());
  CHECK(a.answer == std::vector<std::string>{"a4.example.\t3600\tIN\tA\t192.0.2.33"});
  CHECK(z.asked ==
        std::vector<std::string>{"both.example. AAAA", "missing.example. AAAA", "a4.example. A"});
}

TEST_CASE("dns64: IPv4 clients only with allow_ipv4", "[dns64]") {
  Zone z;
  auto reg = registry(z);
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest plain(". {\n  dns64\n  next\n}\n", o);
  auto a = plain.query("a4.example.", "AAAA");  // from 127.0.0.1
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.empty());
  ChainTest allowed(". {\n  dns64 {\n    allow_ipv4\n  }\n  next\n}\n", o);
  a = allowed.query("a4.example.", "AAAA");
  CHECK(a.answer == std::vector<std::string>{"a4.example.\t300\tIN\tAAAA\t64:ff9b::c000:221"});
}

TEST_CASE("dns64: translate_all replaces AAAA records with synthesized ones", "[dns64]") {
  Zone z;
  auto reg = registry(z);
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  dns64 64:1337::/96 {\n    translate_all\n  }\n  next\n}\n", o);
  auto a = t.query("both.example.", "AAAA", v6_client());
  // No SOA in an answer with records: the cap is 600.
  CHECK(a.answer == std::vector<std::string>{"both.example.\t600\tIN\tAAAA\t64:1337::c000:201"});
  a = t.query("missing.example.", "AAAA", v6_client());
  CHECK(a.rcode == "NXDOMAIN");
}

TEST_CASE("dns64: the prefix forms and lengths", "[dns64]") {
  Zone z;
  auto reg = registry(z);
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  dns64 {\n    prefix 2001:db8:122::/48\n  }\n  next\n}\n", o);
  auto a = t.query("a4.example.", "AAAA", v6_client());
  CHECK(a.answer ==
        std::vector<std::string>{"a4.example.\t300\tIN\tAAAA\t2001:db8:122:c000:2:2100::"});
}

TEST_CASE("dns64: setup errors", "[dns64]") {
  CHECK(setup_error("dns64") == "no error");
  CHECK(setup_error("dns64 64:ff9b::/96") == "no error");
  CHECK(setup_error("dns64 {\n translate_all\n allow_ipv4\n prefix 64:ff9b::/64\n }") ==
        "no error");
  CHECK(setup_error("dns64 64:ff9b::/95").find("invalid prefix length \"64:ff9b::/95\"") !=
        std::string::npos);
  CHECK(setup_error("dns64 64:ff9b::/104").find("invalid prefix length") != std::string::npos);
  CHECK(setup_error("dns64 10.0.0.0/8").find("invalid netmask 32 IPv6 address") !=
        std::string::npos);
  CHECK(setup_error("dns64 nonsense").find("invalid CIDR address: nonsense") != std::string::npos);
  CHECK(setup_error("dns64 64:ff9b::/96 64:ff9b::/96").find("Wrong argument count") !=
        std::string::npos);
  CHECK(setup_error("dns64 {\n bogus\n }").find("unknown property 'bogus'") != std::string::npos);
  CHECK(setup_error("dns64 {\n prefix\n }").find("Wrong argument count") != std::string::npos);
  CHECK(setup_error("dns64 64:ff9b::/95").find("Corefile:2") != std::string::npos);
}

TEST_CASE("dns64: a failure after it is passed on, with no A lookup", "[dns64]") {
  NextHandler* next = nullptr;
  auto reg = cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), "dns64", "next", [&] {
    auto h =
        std::make_unique<NextHandler>(dns::rcode::SERVFAIL, "plugin/forward: no healthy upstreams");
    next = h.get();
    return h;
  });
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  dns64\n  next\n}\n", o);
  auto a = t.query("a4.example.", "AAAA", v6_client());
  CHECK(a.rcode == "SERVFAIL");
  REQUIRE(next);
  CHECK(next->calls == 1);
}
