// bind: the addresses a server block listens on (addresses, interface names, except), as
// CoreDNS's bind.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::setup_error;

namespace {

// "address:port" of every listener, sorted.
std::vector<std::string> listeners(ChainTest& t) {
  std::vector<std::string> out;
  for (auto& l : t.config().listeners) out.push_back(l.address + ":" + std::to_string(l.port));
  std::sort(out.begin(), out.end());
  return out;
}

// "address zone" of every route of every listener, sorted.
std::vector<std::string> routes(ChainTest& t) {
  std::vector<std::string> out;
  for (auto& l : t.config().listeners) {
    for (auto& r : l.routes) out.push_back(l.address + " " + r.zone_text);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> listeners_of(const std::string& corefile) {
  ChainTest t(corefile);
  return listeners(t);
}

// Whether lo has ::1 here (a host without IPv6 has only 127.0.0.1 on lo).
bool has_ipv6_loopback() {
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

TEST_CASE("bind: without it a block listens on every address", "[bind]") {
  CHECK(listeners_of(".:1053 {\n  whoami\n}\n") == std::vector<std::string>{":1053"});
}

TEST_CASE("bind: the addresses given, IPv4 and IPv6, each a listener", "[bind]") {
  ChainTest t(".:1053 {\n  bind 127.0.0.1 ::1\n  whoami\n}\n");
  CHECK(listeners(t) == std::vector<std::string>{"127.0.0.1:1053", "::1:1053"});
  // It only configures the block: no handler in the chain.
  CHECK(t.plugin("bind") == nullptr);
  REQUIRE(t.config().blocks[0]->chain.plugins.size() == 1);
  CHECK(t.config().blocks[0]->chain.plugins[0]->name() == "whoami");
  // Both listeners route to the block.
  CHECK(routes(t) == std::vector<std::string>{"127.0.0.1 .", "::1 ."});
  CHECK(t.query("example.org.", "A").rcode == "NOERROR");
}

TEST_CASE("bind: several bind lines add up, for every key of the block", "[bind]") {
  CHECK(listeners_of("example.org:1053 example.net:2053 {\n  bind 127.0.0.1\n  bind ::1 "
                     "127.0.0.2\n  whoami\n}\n") ==
        std::vector<std::string>{"127.0.0.1:1053", "127.0.0.1:2053", "127.0.0.2:1053",
                                 "127.0.0.2:2053", "::1:1053", "::1:2053"});
  // Named twice, listened on once.
  CHECK(listeners_of(".:1053 {\n  bind 127.0.0.1 127.0.0.1\n  whoami\n}\n") ==
        std::vector<std::string>{"127.0.0.1:1053"});
}

TEST_CASE("bind: blocks on one port with different addresses get their own routes", "[bind]") {
  ChainTest t(R"(example.org:1053 {
    bind 127.0.0.1
    whoami
}
example.net:1053 {
    bind 127.0.0.2
    whoami
}
)");
  CHECK(routes(t) == std::vector<std::string>{"127.0.0.1 example.org.", "127.0.0.2 example.net."});
}

TEST_CASE("bind: an interface name stands for its addresses", "[bind]") {
  std::vector<std::string> lo = {"127.0.0.1:1053"};
  if (has_ipv6_loopback()) lo.push_back("::1:1053");
  CHECK(listeners_of(".:1053 {\n  bind lo\n  whoami\n}\n") == lo);

  std::vector<std::string> with_ip = lo;
  with_ip.push_back("127.0.0.9:1053");
  std::sort(with_ip.begin(), with_ip.end());
  CHECK(listeners_of(".:1053 {\n  bind 127.0.0.9 lo\n  whoami\n}\n") == with_ip);
}

TEST_CASE("bind: except takes addresses out", "[bind]") {
  CHECK(listeners_of(".:1053 {\n  bind 127.0.0.1 127.0.0.2 ::1 {\n    except 127.0.0.2 ::1\n  "
                     "}\n  whoami\n}\n") == std::vector<std::string>{"127.0.0.1:1053"});
  if (has_ipv6_loopback()) {
    CHECK(listeners_of(".:1053 {\n  bind lo {\n    except 127.0.0.1\n  }\n  whoami\n}\n") ==
          std::vector<std::string>{"::1:1053"});
  } else {
    CHECK(setup_error(".:1053 {\n  bind lo {\n    except 127.0.0.1\n  }\n  whoami\n}\n") ==
          "plugin/bind: Corefile:2 - Error during parsing: no address left to bind to");
  }
}

// CoreDNS's except takes interface names as its addresses do ("except ADDRESS|IFACE ...").
// cxxdns refuses them: plugins/bind/setup.cpp checks except's arguments with is_ip only.
TEST_CASE("bind: except takes interface names (CoreDNS)", "[bind][!shouldfail]") {
  CHECK(listeners_of(".:1053 {\n  bind 127.0.0.9 lo {\n    except lo\n  }\n  whoami\n}\n") ==
        std::vector<std::string>{"127.0.0.9:1053"});
}

// CoreDNS: "except option only excludes addresses for the current bind directive if multiple
// bind directives are used in the same server block". cxxdns applies every except to every
// bind line of the block (plugins/bind/setup.cpp gathers them all before filtering).
TEST_CASE("bind: except applies to its own bind line only (CoreDNS)", "[bind][!shouldfail]") {
  CHECK(listeners_of(".:1053 {\n  bind 127.0.0.1 ::1 {\n    except ::1\n  }\n  bind ::1\n  "
                     "whoami\n}\n") == std::vector<std::string>{"127.0.0.1:1053", "::1:1053"});
}

TEST_CASE("bind: refused Corefiles name file:line", "[bind]") {
  CHECK(setup_error(".:1053 {\n  whoami\n  bind\n}\n") ==
        "plugin/bind: Corefile:3 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'bind'");
  CHECK(setup_error(".:1053 {\n  bind 1.2.3.invalid\n  whoami\n}\n") ==
        "plugin/bind: Corefile:2 - Error during parsing: not a valid IP address or interface "
        "name: '1.2.3.invalid'");
  CHECK(setup_error(".:1053 {\n  bind ::1 1.2.3.4 noone\n  whoami\n}\n") ==
        "plugin/bind: Corefile:2 - Error during parsing: not a valid IP address or interface "
        "name: 'noone'");
  CHECK(setup_error(".:1053 {\n  bind 127.0.0.1 {\n    except\n  }\n  whoami\n}\n") ==
        "plugin/bind: Corefile:3 - Error during parsing: Wrong argument count or unexpected "
        "line ending after 'except'");
  CHECK(setup_error(".:1053 {\n  bind 127.0.0.1 {\n    except 127.0.0.300\n  }\n  whoami\n}\n") ==
        "plugin/bind: Corefile:3 - Error during parsing: not a valid IP address: '127.0.0.300'");
  CHECK(setup_error(".:1053 {\n  bind 127.0.0.1 {\n    only 127.0.0.1\n  }\n  whoami\n}\n") ==
        "plugin/bind: Corefile:3 - Error during parsing: unknown property 'only'");
  CHECK(setup_error(".:1053 {\n  bind 127.0.0.1 {\n    except 127.0.0.1\n  }\n  whoami\n}\n") ==
        "plugin/bind: Corefile:2 - Error during parsing: no address left to bind to");
}
