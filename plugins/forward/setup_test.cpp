// forward's Corefile syntax: what is accepted and every error, with its file:line.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/plugin/config.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/forward/forward.h"

using cxxdns::testing::ChainTest;
using namespace cxxdns::plugins::forward;

namespace {

Forward& forward_of(ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (p->name() == "forward") return *static_cast<Forward*>(p);
  }
  FAIL("no forward plugin");
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

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/cxxdns-forward-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("forward: FROM and TO forms", "[forward]") {
  ChainTest t(
      ". {\n forward example.ORG 127.0.0.1 127.0.0.2:1053 [::1]:5353 dns://127.0.0.3 "
      "dns://127.0.0.4:54 ::1\n}\n");
  auto& b = forward_of(t).blocks().at(0)->opts;
  CHECK(b.from == "example.org.");
  REQUIRE(b.upstreams.size() == 6);
  CHECK(b.upstreams[0]->to == "127.0.0.1:53");
  CHECK(b.upstreams[1]->to == "127.0.0.2:1053");
  CHECK(b.upstreams[2]->to == "[::1]:5353");
  CHECK(b.upstreams[3]->to == "127.0.0.3:53");
  CHECK(b.upstreams[4]->to == "127.0.0.4:54");
  CHECK(b.upstreams[5]->to == "[::1]:53");
  // Defaults, as CoreDNS's.
  CHECK(b.max_fails == 2);
  CHECK(b.expire == std::chrono::seconds(10));
  CHECK(b.health_check == std::chrono::milliseconds(500));
  CHECK(b.health_check_rd);
  CHECK(b.health_check_domain == ".");
  CHECK(b.policy == Policy::random);
  CHECK(!b.force_tcp);
  CHECK(!b.prefer_udp);
  CHECK(b.max_concurrent == cxxdns::plugins::forward::kDefaultMaxConcurrent);
}

TEST_CASE("forward: resolv.conf file as TO", "[forward]") {
  TempFile f(
      "# comment\nsearch example.org\nnameserver 127.0.0.1\nnameserver ::1\noptions ndots:5\n");
  ChainTest t(". {\n forward . " + f.path + "\n}\n");
  auto& b = forward_of(t).blocks().at(0)->opts;
  REQUIRE(b.upstreams.size() == 2);
  CHECK(b.upstreams[0]->to == "127.0.0.1:53");
  CHECK(b.upstreams[1]->to == "[::1]:53");

  TempFile empty("search example.org\n");
  CHECK_THAT(setup_error(". {\n forward . " + empty.path + "\n}\n"),
             Catch::Contains("no nameservers found"));
}

TEST_CASE("forward: every option", "[forward]") {
  TempFile cert("x"), key("y"), ca("z");
  ChainTest t(
      ". {\n forward . 127.0.0.1 {\n  except a.org B.org\n  force_tcp\n  prefer_udp\n"
      "  expire 20s\n  max_fails 3\n  policy round_robin\n"
      "  health_check 2s no_rec domain Example.NET\n  max_concurrent 100\n"
      "  next NXDOMAIN servfail\n  failfast_all_unhealthy_upstreams\n"
      "  tls " +
      cert.path + " " + key.path + " " + ca.path +
      "\n"
      "  tls_servername dns.example\n }\n}\n");
  auto& b = forward_of(t).blocks().at(0)->opts;
  CHECK(b.except == std::vector<std::string>{"a.org.", "b.org."});
  CHECK(b.force_tcp);
  CHECK(b.prefer_udp);
  CHECK(b.expire == std::chrono::seconds(20));
  CHECK(b.max_fails == 3);
  CHECK(b.policy == Policy::round_robin);
  CHECK(b.health_check == std::chrono::seconds(2));
  CHECK(!b.health_check_rd);
  CHECK(b.health_check_domain == "example.net.");
  CHECK(b.max_concurrent == 100);
  CHECK(b.next_rcodes == std::vector<uint16_t>{3, 2});
  CHECK(b.failfast_all_unhealthy);
  CHECK(b.tls.size() == 3);
  CHECK(b.tls_servername == "dns.example");
}

TEST_CASE("forward: tls upstreams", "[forward]") {
  // No files: the system's CAs; the name to verify from tls_servername.
  ChainTest t(
      ". {\n forward . tls://127.0.0.1 tls://[::1]:8853 tls://127.0.0.2%own.name 127.0.0.3 {\n"
      "  tls\n  tls_servername dns.test\n }\n}\n");
  auto& b = *forward_of(t).blocks().at(0);
  REQUIRE(b.opts.upstreams.size() == 4);
  CHECK(b.tls_ctx != nullptr);
  CHECK(b.opts.upstreams[0]->to == "tls://127.0.0.1:853");
  CHECK(b.opts.upstreams[0]->tls);
  CHECK(b.opts.upstreams[0]->tls_servername == "dns.test");
  CHECK(b.opts.upstreams[1]->to == "tls://[::1]:8853");
  CHECK(b.opts.upstreams[2]->tls_servername == "own.name");
  CHECK(!b.opts.upstreams[3]->tls);

  // Without a tls:// upstream no TLS context is made (and `tls` files are not loaded).
  ChainTest plain(". {\n forward . 127.0.0.1\n}\n");
  CHECK(forward_of(plain).blocks().at(0)->tls_ctx == nullptr);
}

TEST_CASE("forward: https upstreams", "[forward]") {
  // Port 443 and /dns-query unless written; the URL names tls_servername when there is one,
  // and a resolve entry takes that name to the address written (nothing is looked up).
  ChainTest t(
      ". {\n forward . https://127.0.0.1 https://[::1]:8443/q https://127.0.0.2:4443 {\n"
      "  tls_servername dns.test\n  doh_method get\n  expire 30s\n }\n}\n");
  auto& b = *forward_of(t).blocks().at(0);
  REQUIRE(b.opts.upstreams.size() == 3);
  const auto& a = *b.opts.upstreams[0];
  CHECK(a.https);
  CHECK(!a.tls);
  CHECK(a.to == "https://127.0.0.1:443");
  CHECK(a.doh_url == "https://dns.test:443/dns-query");
  CHECK(a.doh_resolve == "dns.test:443:127.0.0.1");
  CHECK(b.opts.upstreams[1]->to == "https://[::1]:8443");
  CHECK(b.opts.upstreams[1]->doh_url == "https://dns.test:8443/q");
  CHECK(b.opts.upstreams[1]->doh_resolve == "dns.test:8443:[::1]");
  CHECK(b.opts.upstreams[2]->doh_url == "https://dns.test:4443/dns-query");
  CHECK(b.doh.get);
  CHECK(b.doh.max_age_s == 30);

  // No server name: the URL is the address (the certificate must name that IP); POST.
  ChainTest plain(". {\n forward . https://127.0.0.1:8443\n}\n");
  auto& p = *forward_of(plain).blocks().at(0);
  CHECK(p.opts.upstreams[0]->doh_url == "https://127.0.0.1:8443/dns-query");
  CHECK(p.opts.upstreams[0]->doh_resolve.empty());
  CHECK(!p.doh.get);
}

TEST_CASE("forward: tls files that do not load are setup errors", "[forward]") {
  TempFile junk("not a certificate\n");
  CHECK_THAT(setup_error(". {\n forward . tls://127.0.0.1 {\n  tls " + junk.path + "\n }\n}\n"),
             Catch::Contains("cannot load the CA '" + junk.path + "'"));
  CHECK_THAT(setup_error(". {\n forward . tls://127.0.0.1 {\n  tls " + junk.path + " " + junk.path +
                         "\n }\n}\n"),
             Catch::Contains("cannot load the client certificate"));
  CHECK_THAT(setup_error(". {\n forward . tls://127.0.0.1 {\n  tls " + junk.path + "\n }\n}\n"),
             Catch::Contains("plugin/forward: "));
}

TEST_CASE("forward: several directives keep their order", "[forward]") {
  ChainTest t(
      ". {\n forward lab.example.local 127.0.0.1\n forward example.local 127.0.0.2\n"
      " forward . 127.0.0.3\n}\n");
  auto& blocks = forward_of(t).blocks();
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0]->opts.from == "lab.example.local.");
  CHECK(blocks[2]->opts.from == ".");
}

TEST_CASE("forward: matching FROM and except", "[forward]") {
  ForwardOptions o;
  o.from = "example.org.";
  o.except = {"internal.example.org."};
  CHECK(o.matches("example.org."));
  CHECK(o.matches("www.example.org."));
  CHECK(!o.matches("example.net."));
  CHECK(!o.matches("internal.example.org."));
  CHECK(!o.matches("a.internal.example.org."));
  o.except = {"example.org."};
  CHECK(o.matches("example.org."));  // FROM itself always, as CoreDNS's isAllowedDomain
}

TEST_CASE("forward: errors name file and line", "[forward]") {
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"forward .", "Wrong argument count"},
      {"forward", "Wrong argument count"},
      {"forward . ex!ample.com", "not an IP address or file: 'ex!ample.com'"},
      {"forward . 127.0.0.1 {\n  resolver\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  resolver dns.example\n }", "resolver: not an IP address"},
      {"forward . 127.0.0.1 {\n  failover NXDOMAIN NOPE\n }", "NOPE is not a valid rcode"},
      {"forward . 127.0.0.1:0", "invalid port"},
      {"forward . 127.0.0.1:99999", "invalid port"},
      {"forward . [::1", "not an IP address or file"},
      {"forward . quic://127.0.0.1", "unsupported protocol 'quic://'"},
      {"forward . https://127.0.0.1:0", "invalid port"},
      {"forward . https://127.0.0.1 {\n  doh_method PUT\n }", "doh_method must be GET or POST"},
      {"forward . https://127.0.0.1 {\n  doh_method\n }", "Wrong argument count"},
      {"forward . tls://127.0.0.1:0", "invalid port"},
      {"forward . 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 "
       "127.0.0.8 127.0.0.9 127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.15 "
       "127.0.0.16",
       "more than 15 TOs configured: 16"},
      {"forward . 127.0.0.1 {\n  bogus\n }", "unknown property 'bogus'"},
      {"forward . 127.0.0.1 {\n  except\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  force_tcp yes\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  prefer_udp 1\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  expire\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  expire soon\n }", "soon"},
      {"forward . 127.0.0.1 {\n  expire -1s\n }", "expire can't be negative"},
      {"forward . 127.0.0.1 {\n  max_fails -1\n }", "invalid number '-1'"},
      {"forward . 127.0.0.1 {\n  max_fails two\n }", "invalid number 'two'"},
      {"forward . 127.0.0.1 {\n  policy fastest\n }", "unknown policy 'fastest'"},
      {"forward . 127.0.0.1 {\n  policy\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  health_check\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  health_check 1x\n }", "1x"},
      {"forward . 127.0.0.1 {\n  health_check -1s\n }", "health_check can't be negative"},
      {"forward . 127.0.0.1 {\n  health_check 1s maybe\n }", "health_check: unknown option maybe"},
      {"forward . 127.0.0.1 {\n  health_check 1s domain\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  max_concurrent lots\n }", "invalid number 'lots'"},
      {"forward . 127.0.0.1 {\n  next\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  next NOPE\n }", "NOPE is not a valid rcode"},
      {"forward . 127.0.0.1 {\n  failfast_all_unhealthy_upstreams now\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  tls a b c d\n }", "Wrong argument count"},
      {"forward . 127.0.0.1 {\n  tls /nonexistent/cert.pem\n }", "tls: cannot read"},
      {"forward . 127.0.0.1 {\n  tls_servername\n }", "Wrong argument count"},
  };
  for (auto& c : cases) {
    INFO(c.body);
    std::string err = setup_error(". {\n " + c.body + "\n}\n");
    CHECK_THAT(err, Catch::Contains("plugin/forward: Corefile:"));
    CHECK_THAT(err, Catch::Contains("Error during parsing"));
    CHECK_THAT(err, Catch::Contains(c.message));
  }
  // The line is the option's own line.
  CHECK_THAT(setup_error(". {\n forward . 127.0.0.1 {\n  max_fails 1\n  policy x\n }\n}\n"),
             Catch::Contains("Corefile:4 -"));
}
