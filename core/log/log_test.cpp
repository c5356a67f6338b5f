// The hex dump of core/log: Wireshark's text2pcap form, as CoreDNS's debug plugin writes it.
#include <catch2/catch.hpp>

#include "core/log/log.h"

TEST_CASE("log: hexdump of 0, 16 and 17 bytes", "[log]") {
  CHECK(cxxdns::log::hexdump({}) == "\ndebug: 000000");
  std::vector<uint8_t> b(17);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 16 + 1);
  CHECK(cxxdns::log::hexdump(std::span<const uint8_t>(b).first(16)) ==
        "debug: 000000 01 11 21 31 41 51 61 71 81 91 a1 b1 c1 d1 e1 f1\ndebug: 000010");
  CHECK(cxxdns::log::hexdump(b) ==
        "debug: 000000 01 11 21 31 41 51 61 71 81 91 a1 b1 c1 d1 e1 f1\n"
        "debug: 000010 01\ndebug: 000011");
}

TEST_CASE("log: debug output is counted on and off", "[log]") {
  REQUIRE_FALSE(cxxdns::log::debug_enabled());
  cxxdns::log::debug_on();
  cxxdns::log::debug_on();
  cxxdns::log::debug_off();
  CHECK(cxxdns::log::debug_enabled());
  cxxdns::log::debug_off();
  CHECK_FALSE(cxxdns::log::debug_enabled());
}
