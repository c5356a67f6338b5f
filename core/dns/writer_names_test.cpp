// MessageWriter name compression: a name never points into itself before it is complete.
#include <catch2/catch.hpp>

#include "core/dns/writer.h"
#include "core/plugin/testing.h"

TEST_CASE("writer: repeated labels with stale bytes past the end", "[writer]") {
  // A reused buffer holds old bytes beyond its size; 0xC0 ones read as a compression
  // pointer to offset 192, which is one again: following them would never end.
  std::vector<uint8_t> out(512, 0xc0);
  out.clear();
  cxxdns::dns::Name n;
  REQUIRE(cxxdns::dns::from_text("0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa.", n));
  cxxdns::dns::MessageWriter w(out);
  cxxdns::dns::Header h;
  w.start(h);
  w.question(n, 12, 1);
  w.name_rr(n, 12, 5, n);  // the second copy compresses to a pointer at the first
  auto a = cxxdns::testing::parse_answer(out);
  REQUIRE(a.answered);
  CHECK(a.answer ==
        std::vector<std::string>{
            "0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa.\t5\tIN\tPTR\t0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa."});
  CHECK(out.size() == 12 + 34 + 4 + 2 + 10 + 2);
}
