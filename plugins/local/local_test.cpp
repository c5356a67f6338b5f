// local: localhost, its subdomains and the local reverse zones, as CoreDNS's local (its
// TestLocal cases, and the RFC 6761 names of its newer releases).
#include <catch2/catch.hpp>

#include "core/metrics/metrics.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::stdout_lines;

namespace {

const std::string kSoa = "IN\tSOA\tlocalhost. root.localhost. 1 0 0 0 604800";

uint64_t localhost_requests() {
  return cxxdns::metrics::Registry::global()
      .counter("coredns_local_localhost_requests_total", "Counter of localhost.<domain> requests.")
      .with(std::vector<std::string>{})
      .value();
}

}  // namespace

TEST_CASE("local: localhost's addresses, SOA and NS", "[local]") {
  ChainTest t(". {\n  local\n  whoami\n}\n");
  auto a = t.query("localhost.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK_FALSE(a.aa());
  CHECK(a.answer == std::vector<std::string>{"localhost.\t604800\tIN\tA\t127.0.0.1"});
  CHECK(t.query("localHOst.", "A").answer ==
        std::vector<std::string>{"localHOst.\t604800\tIN\tA\t127.0.0.1"});
  CHECK(t.query("localhost.", "AAAA").answer ==
        std::vector<std::string>{"localhost.\t604800\tIN\tAAAA\t::1"});
  CHECK(t.query("localhost.", "NS").answer ==
        std::vector<std::string>{"localhost.\t604800\tIN\tNS\tlocalhost."});
  CHECK(t.query("localhost.", "SOA").answer ==
        std::vector<std::string>{"localhost.\t604800\t" + kSoa});
  auto mx = t.query("localhost.", "MX");
  CHECK(mx.rcode == "NOERROR");
  CHECK(mx.answer.empty());
  CHECK(mx.authority == std::vector<std::string>{"localhost.\t604800\t" + kSoa});
}

TEST_CASE("local: the reverse zones", "[local]") {
  ChainTest t(". {\n  local\n  whoami\n}\n");
  auto apex = t.query("127.in-addr.arpa.", "A");
  CHECK(apex.rcode == "NOERROR");
  CHECK(apex.authority == std::vector<std::string>{"127.in-addr.arpa.\t604800\t" + kSoa});
  CHECK(t.query("0.in-addr.arpa.", "NS").answer ==
        std::vector<std::string>{"0.in-addr.arpa.\t604800\tIN\tNS\tlocalhost."});
  CHECK(t.query("1.0.0.127.in-addr.arpa.", "PTR").answer ==
        std::vector<std::string>{"1.0.0.127.in-addr.arpa.\t604800\tIN\tPTR\tlocalhost."});
  auto mx = t.query("1.0.0.127.in-addr.arpa.", "MX");
  CHECK(mx.rcode == "NOERROR");
  CHECK(mx.authority == std::vector<std::string>{"127.in-addr.arpa.\t604800\t" + kSoa});
  auto other = t.query("2.0.0.127.IN-ADDR.arpa.", "PTR");
  CHECK(other.rcode == "NXDOMAIN");
  // The zone part of the SOA's owner keeps the query's case, as CoreDNS cuts it from the qname.
  CHECK(other.authority == std::vector<std::string>{"127.IN-ADDR.arpa.\t604800\t" + kSoa});
  CHECK(t.query("1.255.in-addr.arpa.", "PTR").rcode == "NXDOMAIN");
}

TEST_CASE("local: names under localhost and starting with it are the loopback", "[local]") {
  ChainTest t(". {\n  local\n  whoami\n}\n");
  const uint64_t before = localhost_requests();
  CHECK(t.query("a.localhost.", "A").answer ==
        std::vector<std::string>{"a.localhost.\t604800\tIN\tA\t127.0.0.1"});
  CHECK(t.query("localhost.example.net.", "A").answer ==
        std::vector<std::string>{"localhost.example.net.\t604800\tIN\tA\t127.0.0.1"});
  CHECK(t.query("localhost.example.net.", "AAAA").answer ==
        std::vector<std::string>{"localhost.example.net.\t604800\tIN\tAAAA\t::1"});
  auto soa = t.query("localhost.example.net.", "SOA");
  CHECK(soa.answer.empty());
  CHECK(soa.authority == std::vector<std::string>{"localhost.example.net.\t604800\t" + kSoa});
  CHECK(localhost_requests() == before + 4);
  // localhost. itself is not counted.
  t.query("localhost.", "A");
  CHECK(localhost_requests() == before + 4);
}

TEST_CASE("local: localhost_prefix off leaves localhost.<domain> to the next plugin", "[local]") {
  ChainTest t(". {\n  local {\n    localhost_prefix off\n  }\n  whoami\n}\n");
  auto a = t.query("localhost.example.net.", "A");
  CHECK(a.answer.empty());
  CHECK(a.additional.size() == 2);  // whoami's
  CHECK(t.query("a.localhost.", "A").answer.size() == 1);
}

TEST_CASE("local: other names go to the next plugin", "[local]") {
  ChainTest t(". {\n  local\n  whoami\n}\n");
  auto a = t.query("example.org.", "A");
  CHECK(a.answer.empty());
  CHECK(a.additional.size() == 2);
  CHECK(t.query("mylocalhost.", "A").additional.size() == 2);
}

TEST_CASE("local: with debug on, the localhost queries are logged with their client", "[local]") {
  {
    ChainTest t(". {\n  debug\n  local\n  whoami\n}\n");
    cxxdns::testing::QueryOptions o;
    o.client_ip = "10.0.0.7";
    auto lines = stdout_lines([&] { t.query("a.localhost.", "AAAA", o); });
    CHECK(lines == std::vector<std::string>{
                       "[DEBUG] plugin/local: Intercepting localhost query for \"a.localhost.\" "
                       "AAAA, from 10.0.0.7"});
  }
  // Once the configuration with debug is gone, debug output is off again.
  ChainTest quiet(". {\n  local\n  whoami\n}\n");
  CHECK(stdout_lines([&] { quiet.query("b.localhost.", "A"); }).empty());
}

TEST_CASE("local: setup", "[local]") {
  CHECK_THROWS_WITH(ChainTest(". {\n  local x\n}\n"),
                    "plugin/local: Corefile:2 - Error during parsing: Wrong argument count or "
                    "unexpected line ending after 'x'");
  CHECK_THROWS_WITH(ChainTest(". {\n  local {\n    localhost_prefix maybe\n  }\n}\n"),
                    "plugin/local: Corefile:3 - Error during parsing: localhost_prefix expects "
                    "'on' or 'off', got \"maybe\"");
  CHECK_THROWS_WITH(ChainTest(". {\n  local {\n    foo\n  }\n}\n"),
                    "plugin/local: Corefile:3 - Error during parsing: unknown property 'foo'");
}
