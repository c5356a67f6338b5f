// Chains of real plugins built from Corefile text: plugin.cfg's order, zone routing, the end of a
// chain.
#include <catch2/catch.hpp>

#include "core/corefile/corefile.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;

TEST_CASE("the order list decides the chain, not the Corefile", "[chain]") {
  ChainTest t(R"(example.org {
    whoami
    log
    errors
})");
  auto& chain = t.config().blocks.at(0)->chain.plugins;
  REQUIRE(chain.size() == 3);
  CHECK(chain[0]->name() == "errors");
  CHECK(chain[1]->name() == "log");
  CHECK(chain[2]->name() == "whoami");
  CHECK(cxxdns::plugins::builtin().rank("cache") < cxxdns::plugins::builtin().rank("forward"));
  CHECK(cxxdns::plugins::builtin().rank("kubernetes") < cxxdns::plugins::builtin().rank("fakeip"));
  CHECK(cxxdns::plugins::builtin().rank("fakeip") < cxxdns::plugins::builtin().rank("forward"));
  CHECK(cxxdns::plugins::builtin().rank("nonsense") == -1);
}

TEST_CASE("whoami through a chain", "[chain]") {
  ChainTest t("example.org {\n  whoami\n}\n");
  cxxdns::testing::QueryOptions o;
  o.client_ip = "10.1.2.3";
  o.client_port = 5353;
  auto a = t.query("WWW.example.org.", "A", o);
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(a.answer.empty());
  REQUIRE(a.additional.size() == 2);
  CHECK(a.additional[0] == "WWW.example.org.\t0\tIN\tA\t10.1.2.3");
  CHECK(a.additional[1] == "_udp.WWW.example.org.\t0\tIN\tSRV\t0 0 5353 .");
  o.client_ip = "fd00::7";
  o.tcp = true;
  a = t.query("example.org.", "TXT", o);
  REQUIRE(a.additional.size() == 2);
  CHECK(a.additional[0] == "example.org.\t0\tIN\tAAAA\tfd00::7");
  CHECK(a.additional[1] == "_tcp.example.org.\t0\tIN\tSRV\t0 0 5353 .");
}

TEST_CASE("zone routing: longest zone wins, no zone is REFUSED", "[chain]") {
  ChainTest t(R"(
example.org:1053 {
    whoami
}
sub.example.org:1053 {
    hosts {
        10.9.9.9 host.sub.example.org
    }
}
other.test:1053 {
    whoami
}
)");
  cxxdns::testing::QueryOptions o;
  auto a = t.query("host.sub.example.org.", "A", o);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "host.sub.example.org.\t3600\tIN\tA\t10.9.9.9");
  a = t.query("www.example.org.", "A", o);
  CHECK(a.additional.size() == 2);  // whoami
  a = t.query("nowhere.test.", "A", o);
  CHECK(a.rcode == "REFUSED");
  a = t.query("example.com.", "A", o);
  CHECK(a.rcode == "REFUSED");
}

TEST_CASE("a chain that ends without an answer is SERVFAIL", "[chain]") {
  ChainTest t(". {\n  log\n}\n");
  auto a = t.query("example.org.", "A");
  CHECK(a.rcode == "SERVFAIL");
}

TEST_CASE("bad packets get FORMERR with their ID, or nothing", "[chain]") {
  ChainTest t(". {\n  whoami\n}\n");
  std::vector<uint8_t> bad = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 30, 'x'};
  auto a = t.query_wire(bad);
  REQUIRE(a.answered);
  CHECK(a.rcode == "FORMERR");
  CHECK(a.id == 0xabcd);
  std::vector<uint8_t> tiny = {1, 2, 3};
  CHECK_FALSE(t.query_wire(tiny).answered);
}

TEST_CASE("configuration errors name file and line", "[chain]") {
  try {
    ChainTest t("example.org {\n  whoami\n  cahce\n}\n");
    FAIL("no error");
  } catch (const cxxdns::corefile::ParseError& e) {
    CHECK(std::string(e.what()) == "Corefile:3 - Error during parsing: Unknown directive 'cahce'");
  }
  try {
    ChainTest t("example.org {\n  whoami\n}\nexample.org {\n  whoami\n}\n");
    FAIL("no error");
  } catch (const cxxdns::corefile::ParseError& e) {
    CHECK(std::string(e.what()) ==
          "Corefile:4 - Error during parsing: cannot serve dns://example.org.:53 - it is "
          "already defined");
  }
  try {
    ChainTest t("example.org {\n  whoami extra\n}\n");
    FAIL("no error");
  } catch (const cxxdns::SetupError& e) {
    CHECK(std::string(e.what()) ==
          "plugin/whoami: Corefile:2 - Error during parsing: Wrong argument count or unexpected "
          "line ending after 'extra'");
  }
  try {
    ChainTest t("example.org {\n  log {\n    class nonsense\n  }\n  whoami\n}\n");
    FAIL("no error");
  } catch (const cxxdns::SetupError& e) {
    CHECK(std::string(e.what()) ==
          "plugin/log: Corefile:3 - Error during parsing: unknown class: nonsense");
  }
}

TEST_CASE("the same zone on two ports is fine, a port from the options fills keys", "[chain]") {
  cxxdns::BuildOptions opt;
  opt.default_port = 1053;
  ChainTest t("example.org {\n  whoami\n}\nexample.org:2053 {\n  whoami\n}\n", opt);
  REQUIRE(t.config().listeners.size() == 2);
  CHECK(t.config().listeners[0].port == 1053);
  CHECK(t.config().listeners[1].port == 2053);
}

TEST_CASE("Go durations", "[chain]") {
  std::chrono::nanoseconds d;
  REQUIRE(cxxdns::parse_go_duration("1m30s", d));
  CHECK(d == std::chrono::seconds(90));
  REQUIRE(cxxdns::parse_go_duration("500ms", d));
  CHECK(d == std::chrono::milliseconds(500));
  REQUIRE(cxxdns::parse_go_duration("0.5s", d));
  CHECK(d == std::chrono::milliseconds(500));
  CHECK_FALSE(cxxdns::parse_go_duration("10", d));
  CHECK_FALSE(cxxdns::parse_go_duration("5x", d));
  CHECK(cxxdns::go_duration_string(std::chrono::seconds(30)) == "30s");
  CHECK(cxxdns::go_duration_string(std::chrono::minutes(5)) == "5m0s");
  CHECK(cxxdns::go_duration_string(std::chrono::hours(1)) == "1h0m0s");
  CHECK(cxxdns::go_duration_string(std::chrono::milliseconds(1500)) == "1.5s");
}
