// whoami: the client's address and port in the additional section, as CoreDNS's whoami.
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;
using cxxdns::testing::setup_error;

TEST_CASE("whoami: A and _udp SRV of an IPv4 client, owner in the query's case", "[whoami]") {
  ChainTest t("example.org {\n  whoami\n}\n");
  QueryOptions o;
  o.client_ip = "192.0.2.44";
  o.client_port = 50315;
  o.id = 0xbeef;
  auto a = t.query("Who.Example.ORG.", "A", o);
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.id == 0xbeef);
  CHECK(a.aa());
  CHECK((a.flags & cxxdns::dns::flag::QR));
  CHECK((a.flags & cxxdns::dns::flag::RD));  // copied from the query
  CHECK(a.answer.empty());
  CHECK(a.authority.empty());
  CHECK(a.additional == std::vector<std::string>{
                            "Who.Example.ORG.\t0\tIN\tA\t192.0.2.44",
                            "_udp.Who.Example.ORG.\t0\tIN\tSRV\t0 0 50315 .",
                        });
}

TEST_CASE("whoami: AAAA and _tcp SRV of an IPv6 client over TCP, whatever the type", "[whoami]") {
  ChainTest t(". {\n  whoami\n}\n");
  QueryOptions o;
  o.client_ip = "2001:db8::53";
  o.client_port = 1234;
  o.tcp = true;
  auto a = t.query("example.net.", "MX", o);
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer.empty());
  CHECK(a.additional == std::vector<std::string>{
                            "example.net.\t0\tIN\tAAAA\t2001:db8::53",
                            "_tcp.example.net.\t0\tIN\tSRV\t0 0 1234 .",
                        });
}

TEST_CASE("whoami: an IPv4 client on a dual-stack socket is shown as IPv4", "[whoami]") {
  ChainTest t(". {\n  whoami\n}\n");
  QueryOptions o;
  o.client_ip = "::ffff:198.51.100.9";
  o.client_port = 40001;
  auto a = t.query("example.com.", "A", o);
  CHECK(a.additional == std::vector<std::string>{
                            "example.com.\t0\tIN\tA\t198.51.100.9",
                            "_udp.example.com.\t0\tIN\tSRV\t0 0 40001 .",
                        });
}

TEST_CASE("whoami: the root name gives _udp. (no double dot)", "[whoami]") {
  ChainTest t(". {\n  whoami\n}\n");
  QueryOptions o;
  o.client_port = 5353;
  auto a = t.query(".", "NS", o);
  CHECK(a.additional == std::vector<std::string>{
                            ".\t0\tIN\tA\t127.0.0.1",
                            "_udp.\t0\tIN\tSRV\t0 0 5353 .",
                        });
}

TEST_CASE("whoami: records carry the query's class", "[whoami]") {
  ChainTest t(". {\n  whoami\n}\n");
  auto wire = cxxdns::testing::make_query("example.org.", cxxdns::dns::type::TXT);
  wire[wire.size() - 1] = cxxdns::dns::cls::CH;  // QCLASS is the last field without OPT
  auto a = t.query_wire(wire);
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.additional.size() == 2);
  CHECK(a.additional[0] == "example.org.\t0\tCH\tA\t127.0.0.1");
  CHECK(a.additional[1] == "_udp.example.org.\t0\tCH\tSRV\t0 0 40000 .");
}

TEST_CASE("whoami: with EDNS the answer has an OPT record too", "[whoami]") {
  ChainTest t(". {\n  whoami\n}\n");
  QueryOptions o;
  o.bufsize = 1232;
  auto a = t.query("example.org.", "A", o);
  CHECK(a.has_opt);
  CHECK(a.additional.size() == 2);
}

TEST_CASE("whoami: takes no arguments nor block, once per server block", "[whoami]") {
  CHECK(setup_error("example.org {\n  whoami example.org\n}\n") ==
        "plugin/whoami: Corefile:2 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'example.org'");
  CHECK(setup_error("example.org {\n  whoami {\n  }\n}\n") ==
        "plugin/whoami: Corefile:2 - Error during parsing: whoami takes no block");
  CHECK(setup_error("example.org {\n  whoami\n  whoami\n}\n") ==
        "plugin/whoami: Corefile:3 - Error during parsing: this plugin can only be used once "
        "per Server Block");
  CHECK(setup_error("example.org {\n  whoami\n}\nexample.net {\n  whoami\n}\n") == "no error");
}
