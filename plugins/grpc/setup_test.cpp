// grpc's Corefile syntax: what is accepted and every error, with its file:line.
#include <catch2/catch.hpp>
#include <string>

#include "core/plugin/config.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/grpc/grpc.h"

using cxxdns::testing::ChainTest;
using namespace cxxdns::plugins::grpc;

namespace {

const GrpcOptions& options_of(ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (p->name() == "grpc") return static_cast<Grpc*>(p)->options();
  }
  FAIL("no grpc plugin");
  throw 0;
}

std::string setup_error(const std::string& corefile) {
  try {
    ChainTest t(corefile);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("grpc: FROM and TO forms", "[grpc]") {
  ChainTest t(". {\n grpc example.ORG 127.0.0.1 127.0.0.2:9005 [::1]:5353 ::1\n}\n");
  const auto& o = options_of(t);
  CHECK(o.from == "example.org.");
  REQUIRE(o.upstreams.size() == 4);
  // CoreDNS's parse.HostPortOrFile: port 53 when none is given.
  CHECK(o.upstreams[0]->to == "127.0.0.1:53");
  CHECK(o.upstreams[1]->to == "127.0.0.2:9005");
  CHECK(o.upstreams[2]->to == "[::1]:5353");
  CHECK(o.upstreams[3]->to == "[::1]:53");
  // No tls: HTTP/2 in the clear.
  CHECK(!o.tls);
  CHECK(o.upstreams[1]->url == "http://127.0.0.2:9005/coredns.dns.DnsService/Query");
  CHECK(o.policy == Policy::random);
  CHECK(!o.fall.on());
}

TEST_CASE("grpc: every option", "[grpc]") {
  ChainTest t(
      ". {\n grpc . 127.0.0.1:9005 127.0.0.2:9005 {\n  except example.com Example.net\n"
      "  tls\n  tls_servername dns.example\n  policy round_robin\n  fallthrough in-addr.arpa\n"
      " }\n}\n");
  const auto& o = options_of(t);
  CHECK(o.except == std::vector<std::string>{"example.com.", "example.net."});
  CHECK(o.tls);
  CHECK(o.tls_files.empty());
  CHECK(o.tls_servername == "dns.example");
  CHECK(o.policy == Policy::round_robin);
  CHECK(o.fall.on());
  // The URL names the server for SNI and the certificate; the address comes from RESOLVE.
  CHECK(o.upstreams[1]->url == "https://dns.example:9005/coredns.dns.DnsService/Query");
  CHECK(o.upstreams[1]->resolve == "dns.example:9005:127.0.0.2");
  ChainTest seq(". {\n grpc . 127.0.0.1 {\n  policy sequential\n }\n}\n");
  CHECK(options_of(seq).policy == Policy::sequential);
  // tls_servername alone also means TLS, as CoreDNS makes a TLS config for it.
  ChainTest named(". {\n grpc . 127.0.0.1 {\n  tls_servername dns.example\n }\n}\n");
  CHECK(options_of(named).tls);
}

TEST_CASE("grpc: errors name file and line", "[grpc]") {
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"grpc .", "Wrong argument count"},
      {"grpc", "Wrong argument count"},
      {"grpc . ex!ample.com", "not an IP address or file"},
      {"grpc . 127.0.0.1:0", "not an IP address or file"},
      {"grpc . 127.0.0.1:99999", "not an IP address or file"},
      {"grpc . [::1", "not an IP address or file"},
      {"grpc . 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 "
       "127.0.0.8 127.0.0.9 127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.15 "
       "127.0.0.16",
       "more than 15 TOs configured: 16"},
      {"grpc . 127.0.0.1 {\n  bogus\n }", "unknown property 'bogus'"},
      {"grpc . 127.0.0.1 {\n  except\n }", "Wrong argument count"},
      {"grpc . 127.0.0.1 {\n  policy\n }", "Wrong argument count"},
      {"grpc . 127.0.0.1 {\n  policy fastest\n }", "unknown policy 'fastest'"},
      {"grpc . 127.0.0.1 {\n  tls a b c d\n }", "Wrong argument count"},
      {"grpc . 127.0.0.1 {\n  tls /nonexistent/ca.pem\n }", "no such file"},
      {"grpc . 127.0.0.1 {\n  tls_servername\n }", "Wrong argument count"},
      {"grpc . 127.0.0.1\n grpc . 127.0.0.2", "grpc"},
  };
  for (auto& c : cases) {
    INFO(c.body);
    std::string err = setup_error(". {\n " + c.body + "\n}\n");
    CHECK_THAT(err, Catch::Contains("plugin/grpc: Corefile:"));
    CHECK_THAT(err, Catch::Contains(c.message));
  }
  // The line is the option's own line.
  CHECK_THAT(setup_error(". {\n grpc . 127.0.0.1 {\n  except example.org\n  policy x\n }\n}\n"),
             Catch::Contains("Corefile:4 -"));
}
