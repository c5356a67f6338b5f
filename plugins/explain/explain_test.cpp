// explain: the path of a query that asks for it, and nothing for one that does not.
#include <catch2/catch.hpp>

#include "core/dns/writer.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;

namespace {
std::vector<uint8_t> query_with_option(const char* name, uint16_t option) {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 4096;
  auto m = cxxdns::testing::make_query(name, cxxdns::dns::type::A, o);
  // Append one empty option to the OPT record (the last 11 bytes): code, length 0.
  m[m.size() - 1] = 4;
  m.push_back(static_cast<uint8_t>(option >> 8));
  m.push_back(static_cast<uint8_t>(option));
  m.push_back(0);
  m.push_back(0);
  return m;
}
}  // namespace

TEST_CASE("explain adds the path as TXT when asked, from an allowed network", "[explain]") {
  ChainTest t(R"(. {
    explain
    hosts {
        10.0.0.1 a.example.
    }
})");
  auto a = t.query_wire(query_with_option("a.example.", 65330));
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.answer.size() == 1);
  REQUIRE(a.additional.size() == 1);
  CHECK(a.additional[0].find("TXT") != std::string::npos);
  CHECK(a.additional[0].find("answer: NOERROR in") != std::string::npos);

  auto other = t.query_wire(query_with_option("a.example.", 65001));
  CHECK(other.additional.empty());
  cxxdns::testing::QueryOptions far;
  far.client_ip = "192.0.2.1";
  auto denied = t.query_wire(query_with_option("a.example.", 65330), far);
  CHECK(denied.additional.empty());
}
