// file: the plugin in a chain: zones from files, several zones, reload by serial, a bad file
// keeping the last good zone, setup errors, CNAME targets through the server, truncation.
#include <catch2/catch.hpp>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/pkg/zone/test_files.h"

using cxxdns::pkg::zone::testing::example_zone;
using cxxdns::pkg::zone::testing::TempDir;
using cxxdns::testing::Answer;
using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

namespace {

std::string first(const Answer& a) {
  return a.answer.empty() ? "" : a.answer[0];
}

}  // namespace

TEST_CASE("file serves its zone authoritatively and passes other names on", "[file]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t(". {\n  file " + db + " example.org\n  whoami\n}\n");
  auto a = t.query("www.example.org.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(first(a) == "www.example.org.\t300\tIN\tA\t192.0.2.80");
  // Outside the zone: the next plugin (whoami) answers.
  auto other = t.query("www.example.com.", "A");
  CHECK(other.rcode == "NOERROR");
  CHECK_FALSE(other.additional.empty());
  CHECK(t.query("nope.example.org.", "A").rcode == "NXDOMAIN");
}

TEST_CASE("file: one file for several zones, each with its own origin", "[file]") {
  TempDir dir;
  const std::string db =
      dir.write("db.any", "@ 60 IN SOA ns hm 1 1 1 1 1\n@ 60 IN NS ns\nwww 60 IN A 10.0.0.1\n");
  ChainTest t(". {\n  file " + db + " example.org example.net\n}\n");
  CHECK(first(t.query("www.example.org.", "A")) == "www.example.org.\t60\tIN\tA\t10.0.0.1");
  CHECK(first(t.query("www.example.net.", "A")) == "www.example.net.\t60\tIN\tA\t10.0.0.1");
  // No zone for it, no next plugin: SERVFAIL, as CoreDNS.
  CHECK(t.query("www.example.com.", "A").rcode == "SERVFAIL");
}

TEST_CASE("file: the block's zones when none are given, relative to its working folder", "[file]") {
  TempDir dir;
  dir.write("zones/db.wyf.dn42",
            "@ 60 IN SOA ns hm 1 1 1 1 1\n@ 60 IN NS ns\nns 60 IN A 172.20.0.1\n");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path);
  ChainTest t("wyf.dn42 {\n  file zones/db.wyf.dn42 {\n    reload 30s\n  }\n}\n");
  std::filesystem::current_path(cwd);
  CHECK(first(t.query("ns.wyf.dn42.", "A")) == "ns.wyf.dn42.\t60\tIN\tA\t172.20.0.1");
}

TEST_CASE("file: a CNAME out of the zone is looked up through the server", "[file]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t("example.org {\n  file " + db +
              "\n}\nexample.net {\n  hosts {\n    192.0.2.200 www.example.net\n  }\n}\n");
  auto a = t.query("ext.example.org.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(a.answer == std::vector<std::string>{"ext.example.org.\t3600\tIN\tCNAME\twww.example.net.",
                                             "www.example.net.\t3600\tIN\tA\t192.0.2.200"});
  CHECK(a.authority.size() == 2);  // the apex NS, after the target's records
  // A target nobody serves: the CNAME alone.
  ChainTest alone("example.org {\n  file " + db + "\n}\n");
  CHECK(alone.query("ext.example.org.", "A").answer.size() == 1);
}

TEST_CASE("file: transfers are refused without the transfer plugin, notifies dropped", "[file]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t("example.org {\n  file " + db + "\n}\n");
  QueryOptions tcp;
  tcp.tcp = true;
  CHECK(t.query("example.org.", "AXFR", tcp).rcode == "REFUSED");
  auto notify = cxxdns::testing::make_query("example.org.", 6);
  notify[2] = static_cast<uint8_t>((notify[2] & 0x87) | (4 << 3));  // opcode NOTIFY
  CHECK_FALSE(t.query_wire(notify).answered);
}

TEST_CASE("file: answers are compressed and truncated to the client's size", "[file]") {
  TempDir dir;
  std::string zone = "@ 60 IN SOA ns hm 1 1 1 1 1\n@ 60 IN NS ns\n";
  for (int i = 0; i < 40; ++i) zone += "big 60 IN A 10.0.0." + std::to_string(i + 1) + "\n";
  const std::string db = dir.write("db", zone);
  ChainTest t("example.org {\n  file " + db + "\n}\n");
  auto udp = t.query("big.example.org.", "A");
  CHECK(udp.tc());
  QueryOptions tcp;
  tcp.tcp = true;
  auto whole = t.query("big.example.org.", "A", tcp);
  CHECK_FALSE(whole.tc());
  CHECK(whole.answer.size() == 40);
  // Each record's owner is a pointer to the question: 2 + 10 + 4 bytes.
  CHECK(whole.wire.size() < 12 + 21 + 40 * 16 + 100);
}

TEST_CASE("file: reload takes a new serial, keeps the zone when the file is bad", "[file]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone(1));
  ChainTest t("example.org {\n  file " + db + " {\n    reload 20ms\n  }\n}\n");
  CHECK(first(t.query("www.example.org.", "A")) == "www.example.org.\t300\tIN\tA\t192.0.2.80");

  // A changed record without a new serial is not read, as CoreDNS.
  std::string same_serial = example_zone(1);
  same_serial.replace(same_serial.find("192.0.2.80"), 10, "192.0.2.81");
  dir.write("db.example.org", same_serial);
  t.run_for(std::chrono::milliseconds(200));
  CHECK(first(t.query("www.example.org.", "A")) == "www.example.org.\t300\tIN\tA\t192.0.2.80");

  // With a new serial it is.
  std::string next = example_zone(2);
  next.replace(next.find("192.0.2.80"), 10, "192.0.2.82");
  dir.write("db.example.org", next);
  CHECK(t.run_until([&] {
    return first(t.query("www.example.org.", "A")) == "www.example.org.\t300\tIN\tA\t192.0.2.82";
  }));

  // A file that does not parse: the last good zone keeps serving.
  dir.write("db.example.org", example_zone(3) + "broken IN A not-an-address\n");
  t.run_for(std::chrono::milliseconds(200));
  CHECK(first(t.query("www.example.org.", "A")) == "www.example.org.\t300\tIN\tA\t192.0.2.82");
  auto soa = t.query("example.org.", "SOA");
  REQUIRE(soa.answer.size() == 1);
  CHECK_THAT(soa.answer[0], Catch::Contains(" 2 7200 "));
}

TEST_CASE("file: a missing file answers SERVFAIL until it appears", "[file]") {
  TempDir dir;
  const std::string db = (dir.path / "db.later").string();
  ChainTest t("example.org {\n  file " + db + " {\n    reload 20ms\n  }\n}\n");
  CHECK(t.query("www.example.org.", "A").rcode == "SERVFAIL");
  dir.write("db.later", example_zone());
  CHECK(t.run_until([&] { return t.query("www.example.org.", "A").rcode == "NOERROR"; }));
}

TEST_CASE("file: setup errors", "[file]") {
  TempDir dir;
  const std::string good = dir.write("db.good", example_zone());
  const std::string bad = dir.write("db.bad", example_zone() + "oops IN A 1.2.3\n");
  CHECK_THROWS_WITH(ChainTest("example.org {\n  file\n}\n"),
                    Catch::Contains("Wrong argument count"));
  CHECK_THROWS_WITH(
      ChainTest("example.org {\n  file " + bad + "\n}\n"),
      Catch::Contains("plugin/file: Corefile:2 - Error during parsing: " + bad + ":"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  file " + good + " {\n    bogus\n  }\n}\n"),
                    Catch::Contains("unknown property 'bogus'"));
  CHECK_THROWS_WITH(ChainTest("example.org {\n  file " + good + " {\n    reload\n  }\n}\n"),
                    Catch::Contains("reload duration value is expected"));
  // A missing file is fatal only when nothing would look for it again.
  CHECK_THROWS_WITH(ChainTest("example.org {\n  file /nonexistent/db {\n    reload 0\n  }\n}\n"),
                    Catch::Contains("no such file"));
  CHECK_NOTHROW(ChainTest("example.org {\n  file /nonexistent/db\n}\n"));
  CHECK_NOTHROW(ChainTest("example.org {\n  file " + good + " {\n    upstream\n  }\n}\n"));
}

TEST_CASE("file: fallthrough passes NXDOMAIN on", "[file]") {
  TempDir dir;
  const std::string db = dir.write("db.example.org", example_zone());
  ChainTest t("example.org {\n  file " + db + " {\n    fallthrough\n  }\n  whoami\n}\n");
  auto a = t.query("nope.example.org.", "A");
  CHECK(a.rcode == "NOERROR");                                     // whoami's
  CHECK(t.query("www.example.org.", "MX").authority.size() == 1);  // NODATA stays
}
