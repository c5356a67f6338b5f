// Names: lower-casing, 8 bytes at a time, touches 'A'..'Z' only.
#include <catch2/catch.hpp>

#include "core/dns/name.h"

TEST_CASE("to_lower lowers A-Z and leaves every other byte", "[dns]") {
  // One 63-byte label per starting byte, so every value sits at every position of a word.
  for (int start = 0; start < 256; start += 7) {
    cxxdns::dns::Name n;
    n.data[0] = 63;
    for (int i = 0; i < 63; ++i) n.data[1 + i] = static_cast<uint8_t>((start + i) % 256);
    n.data[64] = 0;
    n.len = 65;
    cxxdns::dns::Name lowered = n;
    lowered.to_lower();
    CHECK(lowered.data[0] == 63);
    for (int i = 0; i < 64; ++i) {
      const uint8_t c = n.data[i];
      const uint8_t want = c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c;
      CHECK(lowered.data[i] == want);
    }
  }
}
