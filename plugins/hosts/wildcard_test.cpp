// hosts: wildcard entries ("192.168.1.10 *.example.com"): every name below the star that has
// no entry of its own, the closest star winning; no PTR for them; bad stars ignored.
#include <catch2/catch.hpp>

#include "core/plugin/testing.h"
#include "plugins/hosts/hostsfile.h"

using cxxdns::testing::ChainTest;
using V = std::vector<std::string>;

TEST_CASE("hosts: a wildcard entry answers the names below it", "[hosts]") {
  ChainTest t(
      ". {\n  hosts {\n    192.168.1.10 *.example.com\n    192.168.1.20 *.deep.example.com\n"
      "    192.168.1.30 exact.example.com\n    fd00::10 *.example.com\n    fallthrough\n  }\n"
      "  whoami\n}\n");
  CHECK(t.query("www.example.com.", "A").answer ==
        V{"www.example.com.\t3600\tIN\tA\t192.168.1.10"});
  CHECK(t.query("a.b.example.com.", "A").answer ==
        V{"a.b.example.com.\t3600\tIN\tA\t192.168.1.10"});
  CHECK(t.query("WWW.Example.com.", "AAAA").answer ==
        V{"WWW.Example.com.\t3600\tIN\tAAAA\tfd00::10"});
  // The closest star wins; a name's own entry wins over any star.
  CHECK(t.query("x.deep.example.com.", "A").answer ==
        V{"x.deep.example.com.\t3600\tIN\tA\t192.168.1.20"});
  CHECK(t.query("exact.example.com.", "A").answer ==
        V{"exact.example.com.\t3600\tIN\tA\t192.168.1.30"});
  // A name with an entry of its own but not of the type asked: NODATA, not the star's.
  auto none = t.query("exact.example.com.", "AAAA");
  CHECK(none.rcode == "NOERROR");
  CHECK(none.answer.empty());
  // The star's own name (example.com) is not below it: falls through to whoami.
  auto apex = t.query("example.com.", "A");
  CHECK(apex.answer.empty());
  CHECK(apex.additional.size() == 2);
  // No PTR for a wildcard: nothing to name.
  CHECK(t.query("10.1.168.192.in-addr.arpa.", "PTR").answer.empty());
}

TEST_CASE("hosts: stars elsewhere than the first label are ignored", "[hosts]") {
  cxxdns::plugins::HostsTable table;
  table.add_text("10.0.0.1 a*.example.com\n10.0.0.2 www.*.example.com\n10.0.0.3 *.ok.example\n",
                 {"."}, true, "test");
  CHECK(table.entries == 1);
  CHECK(table.wild4.contains("ok.example."));
  CHECK(table.wildcard_for("x.ok.example.") == "ok.example.");
  CHECK(table.wildcard_for("ok.example.").empty());
  CHECK(table.v4.empty());
}
