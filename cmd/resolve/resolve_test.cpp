// cxxdns resolve: the names a glibc stub tries, in its order, and resolv.conf reading.
#include <catch2/catch.hpp>

#include "cmd/resolve/resolve.h"

using cxxdns::resolve::candidates;
using cxxdns::resolve::parse_resolv_conf;
using cxxdns::resolve::StubConfig;

TEST_CASE("fewer dots than ndots: the search list first, the name last", "[resolve]") {
  StubConfig c;
  c.search = {"default.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan"};
  c.ndots = 5;
  CHECK(candidates("www.example.com", c) ==
        std::vector<std::string>{
            "www.example.com.default.svc.cluster.local.", "www.example.com.svc.cluster.local.",
            "www.example.com.cluster.local.", "www.example.com.lan.", "www.example.com."});
}

TEST_CASE("ndots or more dots: the name first, a trailing dot: only the name", "[resolve]") {
  StubConfig c;
  c.search = {"lan"};
  c.ndots = 2;
  CHECK(candidates("www.example.com", c) ==
        std::vector<std::string>{"www.example.com.", "www.example.com.lan."});
  CHECK(candidates("www.example.com.", c) == std::vector<std::string>{"www.example.com."});
  c.search.clear();
  CHECK(candidates("host", c) == std::vector<std::string>{"host."});
}

TEST_CASE("resolv.conf: first nameserver, last search line, ndots", "[resolve]") {
  auto c = parse_resolv_conf(
      "# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nsearch a.example b.example.\n"
      "domain ignored.example\nsearch one.example two.example\noptions edns0 ndots:5 "
      "timeout:1\n");
  CHECK(c.server == "127.0.0.53");
  CHECK(c.search == std::vector<std::string>{"one.example", "two.example"});
  CHECK(c.ndots == 5);
  CHECK(parse_resolv_conf("options ndots:30\n").ndots == 15);  // glibc caps it at 15
}
