// hosts: the file and inline entries, PTR, no_reverse, ttl, fallthrough, reload, bad data.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/hosts/hosts.h"

using cxxdns::testing::ChainTest;

namespace {
std::string temp_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("cxxdns-hosts-" + name);
  std::ofstream(p) << text;
  return p.string();
}
}  // namespace

TEST_CASE("hosts answers A, AAAA and PTR from a file and inline entries", "[hosts]") {
  std::string path = temp_file("a", R"(# comment
10.0.0.1   web.example.  www.example.   # aliases
fd00::1    web.example.
not-an-ip  bad.example.
10.0.0.2
10.0.0.3   other.zone.
)");
  ChainTest t(". {\n  hosts " + path +
              " example. {\n    10.0.0.9 inline.example.\n    ttl 60\n  }\n}\n");
  auto a = t.query("WEB.example.", "A");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.aa());
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0] == "WEB.example.\t60\tIN\tA\t10.0.0.1");
  CHECK(t.query("www.example.", "A").answer.size() == 1);
  CHECK(t.query("web.example.", "AAAA").answer ==
        std::vector<std::string>{"web.example.\t60\tIN\tAAAA\tfd00::1"});
  CHECK(t.query("inline.example.", "A").answer.size() == 1);
  // A name with addresses but not of the type asked: NOERROR, no answer.
  auto mx = t.query("web.example.", "MX");
  CHECK(mx.rcode == "NOERROR");
  CHECK(mx.answer.empty());
  // PTR for both names of the address.
  auto ptr = t.query("1.0.0.10.in-addr.arpa.", "PTR");
  CHECK(ptr.answer.size() == 2);
  // Unknown names without fallthrough: SERVFAIL, as CoreDNS (no SOA for an NXDOMAIN).
  CHECK(t.query("nope.example.", "A").rcode == "SERVFAIL");
  // Names outside the zones were not loaded: other.zone. goes to the next plugin (none here).
  CHECK(t.query("other.zone.", "A").rcode == "SERVFAIL");
  std::filesystem::remove(path);
}

TEST_CASE("hosts no_reverse and fallthrough", "[hosts]") {
  ChainTest t(R"(. {
    hosts /nonexistent/hosts {
        10.0.0.1 a.example.
        no_reverse
        fallthrough
    }
    whoami
})");
  CHECK(t.query("a.example.", "A").answer.size() == 1);
  // No PTR data: the query goes on to whoami.
  auto ptr = t.query("1.0.0.10.in-addr.arpa.", "PTR");
  CHECK(ptr.answer.empty());
  CHECK(ptr.additional.size() == 2);
  // fallthrough: an unknown name reaches whoami.
  CHECK(t.query("b.example.", "A").additional.size() == 2);
}

TEST_CASE("hosts re-reads a changed file and keeps the last good data", "[hosts]") {
  std::string path = temp_file("reload", "10.0.0.1 a.example.\n");
  ChainTest t(". {\n  hosts " + path + " {\n    reload 100ms\n  }\n}\n");
  CHECK(t.query("a.example.", "A").answer[0].find("10.0.0.1") != std::string::npos);
  std::ofstream(path) << "10.0.0.2 a.example.\n10.0.0.3 b.example.\n";
  std::filesystem::last_write_time(
      path, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(1));
  t.run_for(std::chrono::milliseconds(300));
  CHECK(t.query("a.example.", "A").answer[0].find("10.0.0.2") != std::string::npos);
  // The file goes away: the data stays.
  std::filesystem::remove(path);
  t.run_for(std::chrono::milliseconds(300));
  CHECK(t.query("b.example.", "A").answer.size() == 1);
}

TEST_CASE("hosts setup errors", "[hosts]") {
  auto err = [](const std::string& text) {
    try {
      ChainTest t(text);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err(". {\n  hosts {\n    ttl 0\n  }\n}\n") ==
        "plugin/hosts: Corefile:3 - Error during parsing: value '0' out of range [1, 4294967295]");
  CHECK(err(". {\n  hosts {\n    nonsense\n  }\n}\n") ==
        "plugin/hosts: Corefile:3 - Error during parsing: unknown property 'nonsense'");
  CHECK(err(". {\n  hosts {\n    reload soon\n  }\n}\n") ==
        "plugin/hosts: Corefile:3 - Error during parsing: invalid duration 'soon'");
}
