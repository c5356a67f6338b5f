// read_search_list: a resolv.conf's search list as CoreDNS (miekg/dns) reads it.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include "plugins/pkg/resolv_conf.h"

namespace {
std::vector<std::string> search_of(const std::string& text) {
  char path[] = "/tmp/cxxdns-resolv-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  std::vector<std::string> out;
  std::string err;
  REQUIRE(cxxdns::pkg::read_search_list(path, out, err));
  std::remove(path);
  return out;
}
}  // namespace

TEST_CASE("resolv.conf: the last search or domain line, canonical", "[resolv_conf]") {
  CHECK(
      search_of("nameserver 1.2.3.4\ndomain foo.com\nsearch bar.com baz.com\noptions ndots:5\n") ==
      std::vector<std::string>{
          "bar.com.",
          "baz.com.",
      });
  CHECK(search_of("search a.example\ndomain Foo.COM\n") == std::vector<std::string>{"foo.com."});
  CHECK(search_of("# search x\n; search y\nsearch lan # the router's\n") ==
        std::vector<std::string>{"lan."});
  CHECK(search_of("nameserver 10.0.0.1\n").empty());
}

TEST_CASE("resolv.conf: a file that cannot be read is an error", "[resolv_conf]") {
  std::vector<std::string> out;
  std::string err;
  CHECK_FALSE(cxxdns::pkg::read_search_list("/nonexistent/resolv.conf", out, err));
  CHECK(err == "open /nonexistent/resolv.conf: No such file or directory");
}
