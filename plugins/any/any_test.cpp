// any: RFC 8482's HINFO answer to ANY queries, as CoreDNS's any.
#include <catch2/catch.hpp>

#include "core/dns/constants.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
namespace dns = cxxdns::dns;

namespace {
std::string setup_error(const std::string& line) {
  try {
    ChainTest t(". {\n  " + line + "\n  whoami\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("any: an ANY query gets one HINFO record, not authoritative", "[any]") {
  ChainTest t("example.org {\n  whoami\n  any\n}\n");
  auto a = t.query("Example.org.", "ANY");
  REQUIRE(a.rcode == "NOERROR");
  CHECK_FALSE(a.aa());
  CHECK(a.answer == std::vector<std::string>{
                        "Example.org.\t8482\tIN\tHINFO\t\"ANY obsoleted\" \"See RFC 8482\""});
  CHECK(a.authority.empty());
  CHECK(a.additional.empty());
}

TEST_CASE("any: other types go on to the next plugin", "[any]") {
  ChainTest t("example.org {\n  whoami\n  any\n}\n");
  auto a = t.query("example.org.", "A");
  CHECK(a.answer.empty());
  CHECK(a.additional.size() == 2);  // whoami's
}

TEST_CASE("any: ANY in another class is answered too, in class IN", "[any]") {
  ChainTest t(". {\n  any\n}\n");
  auto wire = cxxdns::testing::make_query("version.bind.", dns::type::ANY);
  wire[wire.size() - 1] = dns::cls::CH;
  auto a = t.query_wire(wire);
  CHECK(a.answer == std::vector<std::string>{
                        "version.bind.\t8482\tIN\tHINFO\t\"ANY obsoleted\" \"See RFC 8482\""});
}

TEST_CASE("any: the dn42 block of the corpus (33) answers ANY before forwarding", "[any]") {
  // Corpus 33's first block with the upstreams left out: any sits before forward and cache.
  ChainTest t(
      "dn42 20.172.in-addr.arpa 10.in-addr.arpa d.f.ip6.arpa {\n  cache 60\n  any\n"
      "  log\n  errors\n  whoami\n}\n");
  auto a = t.query("burble.dn42.", "ANY");
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].find("HINFO") != std::string::npos);
}

TEST_CASE("any: takes no arguments and no properties", "[any]") {
  CHECK(setup_error("any x") ==
        "plugin/any: Corefile:2 - Error during parsing: Wrong argument count or unexpected line "
        "ending after 'x'");
  CHECK(setup_error("any {\n    x\n  }") ==
        "plugin/any: Corefile:3 - Error during parsing: unknown property 'x'");
}
