// chaos: TXT answers in the CH class for version, authors and host name, as CoreDNS's chaos.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <set>

#include "core/dns/constants.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/chaos/chaos.h"

using cxxdns::testing::ChainTest;
namespace dns = cxxdns::dns;

namespace {

std::string setup_error(const std::string& line) {
  try {
    ChainTest t(". {\n  " + line + "\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

const cxxdns::plugins::Chaos& chaos_of(ChainTest& t) {
  return dynamic_cast<cxxdns::plugins::Chaos&>(*t.plugin("chaos"));
}

// A query of `type` in class CH.
cxxdns::testing::Answer ask(ChainTest& t, const std::string& name, uint16_t type = dns::type::TXT) {
  auto wire = cxxdns::testing::make_query(name, type);
  wire[wire.size() - 1] = dns::cls::CH;  // QCLASS is the last field without OPT
  return t.query_wire(wire);
}

std::string host_name() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf[0] ? buf : "localhost";
}

}  // namespace

TEST_CASE("chaos: version.bind and version.server give VERSION", "[chaos]") {
  ChainTest t(". {\n  chaos CoreDNS-001 \"Miek Gieben\"\n}\n");
  auto a = ask(t, "version.bind.");
  REQUIRE(a.rcode == "NOERROR");
  CHECK_FALSE(a.aa());
  CHECK(a.answer == std::vector<std::string>{"version.bind.\t0\tCH\tTXT\t\"CoreDNS-001\""});
  auto b = ask(t, "VERSION.Server.");
  CHECK(b.answer == std::vector<std::string>{"VERSION.Server.\t0\tCH\tTXT\t\"CoreDNS-001\""});
}

TEST_CASE("chaos: authors.bind gives one record an author, in any order", "[chaos]") {
  ChainTest t(". {\n  chaos v3 \"Miek Gieben\" miek@miek.nl \"Miek Gieben\" alice\n}\n");
  // Kept once each, sorted (CoreDNS's setup).
  CHECK(chaos_of(t).authors() == std::vector<std::string>{"Miek Gieben", "alice", "miek@miek.nl"});
  auto a = ask(t, "authors.bind.");
  REQUIRE(a.rcode == "NOERROR");
  std::set<std::string> got(a.answer.begin(), a.answer.end());
  CHECK(got == std::set<std::string>{"authors.bind.\t0\tCH\tTXT\t\"Miek Gieben\"",
                                     "authors.bind.\t0\tCH\tTXT\t\"alice\"",
                                     "authors.bind.\t0\tCH\tTXT\t\"miek@miek.nl\""});
}

TEST_CASE("chaos: hostname.bind and id.server give the host's name", "[chaos]") {
  // OpenShift's block (corpus 13 and 14).
  ChainTest t("hostname.bind:5353 {\n  chaos\n}\n");
  cxxdns::testing::QueryOptions o;
  o.port = 5353;
  auto wire = cxxdns::testing::make_query("hostname.bind.", dns::type::TXT, o);
  wire[wire.size() - 1] = dns::cls::CH;
  auto a = t.query_wire(wire, o);
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer ==
        std::vector<std::string>{"hostname.bind.\t0\tCH\tTXT\t\"" + host_name() + "\""});
  ChainTest u(". {\n  chaos\n}\n");
  CHECK(ask(u, "id.server.").answer ==
        std::vector<std::string>{"id.server.\t0\tCH\tTXT\t\"" + host_name() + "\""});
}

TEST_CASE("chaos: the defaults are cxxdns's version and authors", "[chaos]") {
  ChainTest t(". {\n  chaos\n}\n");
  CHECK(chaos_of(t).version() == "cxxdns-" CXXDNS_VERSION);
  CHECK(chaos_of(t).authors() == std::vector<std::string>{"cxxdns maintainers"});
  ChainTest u(". {\n  chaos v2\n}\n");  // one argument: the version only
  CHECK(chaos_of(u).version() == "v2");
  CHECK(chaos_of(u).authors() == std::vector<std::string>{"cxxdns maintainers"});
}

TEST_CASE("chaos: other names, types and classes go to the next plugin", "[chaos]") {
  ChainTest t(". {\n  chaos v1 a b\n  whoami\n}\n");
  // whoami answers with an empty answer section and the client in the additional section.
  auto other_name = ask(t, "example.org.");
  CHECK(other_name.answer.empty());
  CHECK(other_name.additional.size() == 2);
  auto other_type = ask(t, "authors.bind.", dns::type::SRV);
  CHECK(other_type.answer.empty());
  CHECK(other_type.additional.size() == 2);
  auto in_class = t.query("version.bind.", "TXT");
  CHECK(in_class.answer.empty());
  CHECK(in_class.additional.size() == 2);
  // With nothing after it, CoreDNS's NextOrFailure: SERVFAIL.
  ChainTest u(". {\n  chaos\n}\n");
  CHECK(ask(u, "example.org.").rcode == "SERVFAIL");
}

TEST_CASE("chaos: long strings are cut at 255 bytes", "[chaos]") {
  const std::string long_version(300, 'v');
  ChainTest t(". {\n  chaos " + long_version + "\n}\n");
  CHECK(chaos_of(t).version() == std::string(255, 'v'));
  CHECK(ask(t, "version.bind.").answer.size() == 1);
}

TEST_CASE("chaos: the corpus's dn42 block (33) answers all five names", "[chaos]") {
  ChainTest t(
      "version.bind version.server authors.bind hostname.bind id.server {\n"
      "    chaos xst-fan dn42@wolfyang.fan\n}\n");
  CHECK(ask(t, "version.bind.").answer ==
        std::vector<std::string>{"version.bind.\t0\tCH\tTXT\t\"xst-fan\""});
  CHECK(ask(t, "authors.bind.").answer ==
        std::vector<std::string>{"authors.bind.\t0\tCH\tTXT\t\"dn42@wolfyang.fan\""});
  CHECK(ask(t, "id.server.").answer.size() == 1);
  CHECK(ask(t, "hostname.bind.").answer.size() == 1);
  CHECK(ask(t, "version.server.").answer.size() == 1);
}

TEST_CASE("chaos: a block may hold no property", "[chaos]") {
  CHECK(setup_error("chaos v2 {\n    unknown\n  }") ==
        "plugin/chaos: Corefile:3 - Error during parsing: unknown property 'unknown'");
  CHECK(setup_error("chaos v2 {\n  }") == "no error");
}
