// debug: [DEBUG] lines on while a configuration with debug runs, and the hex dump of the
// messages the server cannot read, as CoreDNS's debug plugin and its pcap.go.
#include <catch2/catch.hpp>

#include "core/log/log.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::stdout_lines;

TEST_CASE("debug: [DEBUG] lines only while a configuration with debug runs", "[debug]") {
  CHECK_FALSE(cxxdns::log::debug_enabled());
  CHECK(stdout_lines([] { cxxdns::log::debug("not {}", "shown"); }).empty());
  {
    ChainTest t(". {\n  debug\n  whoami\n}\n");
    CHECK(cxxdns::log::debug_enabled());
    CHECK(stdout_lines([] { cxxdns::log::debug("shown {}", 1); }) ==
          std::vector<std::string>{"[DEBUG] shown 1"});
    {
      // A second configuration with debug (a reload's new one) and the first one's end
      // leave it on; the last one's end turns it off.
      ChainTest u(". {\n  debug\n  whoami\n}\n");
      CHECK(cxxdns::log::debug_enabled());
    }
    CHECK(cxxdns::log::debug_enabled());
  }
  CHECK_FALSE(cxxdns::log::debug_enabled());
}

TEST_CASE("debug: a message that cannot be read is dumped as text2pcap reads it", "[debug]") {
  ChainTest t(". {\n  debug\n  whoami\n}\n");
  // A header and the start of a name that never ends: FORMERR.
  const std::vector<uint8_t> bad = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x07, 'e',  'x',  'a',  'm'};
  cxxdns::testing::QueryOptions o;
  o.client_ip = "192.0.2.9";
  o.client_port = 5300;
  cxxdns::testing::Answer a;
  auto lines = stdout_lines([&] { a = t.query_wire(bad, o); });
  CHECK(a.rcode == "FORMERR");
  CHECK(lines == std::vector<std::string>{
                     "[DEBUG] Bad DNS message from 192.0.2.9:5300 (17 bytes): malformed, answered "
                     "FORMERR",
                     "debug: 000000 12 34 01 00 00 01 00 00 00 00 00 00 07 65 78 61",
                     "debug: 000010 6d",
                     "debug: 000011",
                 });
  // Too short for a header, and a response: dropped, and dumped.
  auto dropped = stdout_lines([&] { t.query_wire(std::vector<uint8_t>{1, 2, 3}, o); });
  CHECK(dropped == std::vector<std::string>{
                       "[DEBUG] Bad DNS message from 192.0.2.9:5300 (3 bytes): shorter than a "
                       "header, dropped",
                       "debug: 000000 01 02 03", "debug: 000003"});
  auto response = cxxdns::testing::make_query("example.org.", 1);
  response[2] |= 0x80;
  auto qr = stdout_lines([&] { t.query_wire(response, o); });
  REQUIRE(!qr.empty());
  CHECK(qr[0].find("not a query (QR set), dropped") != std::string::npos);
}

TEST_CASE("debug: without it nothing is dumped", "[debug]") {
  ChainTest t(". {\n  whoami\n}\n");
  const std::vector<uint8_t> bad = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 7, 'e'};
  CHECK(stdout_lines([&] { t.query_wire(bad); }).empty());
}

TEST_CASE("debug: CoreDNS's example message, dumped", "[debug]") {
  // pcap_test.go's: example.local. A, ID 10, EDNS 4096 with DO.
  const std::vector<uint8_t> m = {0x00, 0x0a, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x01, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x05, 'l',
                                  'o',  'c',  'a',  'l',  0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                  0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
  CHECK(cxxdns::log::hexdump(m) ==
        "debug: 000000 00 0a 01 00 00 01 00 00 00 00 00 01 07 65 78 61\n"
        "debug: 000010 6d 70 6c 65 05 6c 6f 63 61 6c 00 00 01 00 01 00\n"
        "debug: 000020 00 29 10 00 00 00 80 00 00 00\n"
        "debug: 00002a");
}

TEST_CASE("debug: takes no arguments", "[debug]") {
  CHECK_THROWS_WITH(ChainTest(". {\n  debug on\n  whoami\n}\n"),
                    "plugin/debug: Corefile:2 - Error during parsing: Wrong argument count or "
                    "unexpected line ending after 'on'");
}
