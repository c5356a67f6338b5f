// bufsize: the client's EDNS size is lowered, so UDP answers are truncated to SIZE.
#include <catch2/catch.hpp>
#include <string>

#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

namespace {
std::string big_hosts(const std::string& before) {
  std::string cf = ". {\n" + before + "\n hosts {\n";
  for (int i = 0; i < 300; ++i)
    cf +=
        "  10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + " big.example.\n";
  return cf + " }\n}\n";
}
}  // namespace

TEST_CASE("bufsize lowers the client's UDP size, as CoreDNS's", "[bufsize]") {
  ChainTest t(big_hosts(" bufsize 1232"));
  QueryOptions o;
  o.bufsize = 4096;
  auto a = t.query("big.example.", "A", o);
  CHECK(a.tc());
  CHECK(a.wire.size() <= 1232);
  o.bufsize = 800;  // a smaller size is kept
  a = t.query("big.example.", "A", o);
  CHECK(a.wire.size() <= 800);
  o.tcp = true;  // TCP is not truncated
  o.bufsize = 4096;
  a = t.query("big.example.", "A", o);
  CHECK_FALSE(a.tc());
  CHECK(a.answer.size() == 300);
  // Without bufsize, 4096 is what the client gets.
  ChainTest plain(big_hosts(""));
  o.tcp = false;
  a = plain.query("big.example.", "A", o);
  CHECK(a.wire.size() > 1232);
}

TEST_CASE("bufsize setup", "[bufsize]") {
  auto err = [](const std::string& line) {
    try {
      ChainTest t(". {\n " + line + "\n whoami\n}\n");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err("bufsize") == "no error");
  CHECK(err("bufsize 512") == "no error");
  CHECK_THAT(err("bufsize 511"), Catch::Matchers::Contains("Corefile:2"));
  CHECK_THAT(err("bufsize 4097"), Catch::Matchers::Contains("out of range"));
  CHECK_THAT(err("bufsize 1232 2000"), Catch::Matchers::Contains("Corefile:2"));
}
