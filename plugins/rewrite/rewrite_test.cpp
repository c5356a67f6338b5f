// rewrite: the rules of the corpus Corefiles (copied here as written) and CoreDNS's
// behaviour: what the plugins after it see, and what the client gets back.
#include <catch2/catch.hpp>

#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/rewrite/request.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
using cxxdns::testing::setup_error;
namespace dns = cxxdns::dns;

namespace {

// What the upstream saw, and an answer it makes: an A record for the name it was asked
// (and a CNAME for names starting with "alias"), with `ttl`.
struct Upstream {
  std::string name;  // as asked, lower case
  uint16_t qtype = 0, qclass = 0;
  std::vector<cxxdns::plugins::rewrite::EdnsOption> options;
  bool had_opt = false;
  int calls = 0;
  uint32_t ttl = 300;
  uint8_t rcode = dns::rcode::NOERROR;

  void answer(cxxdns::QueryContext& ctx) {
    const dns::QueryView& q = ctx.q();
    ++calls;
    name = std::string(ctx.qname_text());
    qtype = q.qtype;
    qclass = q.qclass;
    had_opt = q.edns.present;
    options.clear();
    if (q.edns.present) {
      options = cxxdns::plugins::rewrite::parse_options(
          ctx.query_wire().subspan(q.edns.rdata_offset, q.edns.rdata_len));
    }
    dns::MessageWriter w(ctx.writable_response());
    w.start_reply(q, rcode, false);
    if (name.starts_with("alias")) {
      dns::Name target;
      dns::from_text("target." + name.substr(name.find('.') + 1), target);
      w.name_rr(q.qname, dns::type::CNAME, ttl, target);
      const uint8_t addr[4] = {192, 0, 2, 2};
      w.a(target, ttl, addr);
    } else if (rcode == dns::rcode::NOERROR) {
      const uint8_t addr[4] = {192, 0, 2, 1};
      w.a(q.qname, ttl, addr);
    }
  }
};

struct Fixture {
  Upstream up;
  cxxdns::Registry reg;
  cxxdns::BuildOptions opt;
  explicit Fixture(const char* after = "hosts") {
    reg = cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), after, "next", [this] {
      auto h = std::make_unique<NextHandler>();
      h->write = [this](cxxdns::QueryContext& ctx) { up.answer(ctx); };
      return h;
    });
    opt.registry = &reg;
  }
};

// The options of the OPT record of a response.
std::vector<cxxdns::plugins::rewrite::EdnsOption> answer_options(const std::vector<uint8_t>& w) {
  std::vector<cxxdns::plugins::rewrite::EdnsOption> out;
  dns::walk_records(w, [&](const dns::RecordRef& r) {
    if (r.type == dns::type::OPT) {
      out = cxxdns::plugins::rewrite::parse_options(
          std::span(w).subspan(r.rdata_offset, r.rdata_len));
    }
    return true;
  });
  return out;
}

std::string question_of(const std::vector<uint8_t>& w) {
  size_t pos = dns::kHeaderSize;
  dns::Name n;
  if (!dns::read_name(w, pos, n)) return "?";
  return dns::to_text(n) + " " + std::to_string(dns::get16(&w[pos]));
}

}  // namespace

TEST_CASE("rewrite: EKS ingress aliases, asked as the ingress, answered as asked",
          "[rewrite][corpus]") {
  Fixture f;
  // 19-eks-user-rewrite-ingress
  ChainTest t(R"CF(.:53 {
    rewrite name gitlab.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    rewrite name jenkins.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    rewrite name sonarqube.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    next
})CF",
              f.opt);
  for (const char* alias : {"gitlab.demo.com.", "jenkins.demo.com.", "sonarqube.demo.com."}) {
    auto a = t.query(alias, "A");
    CHECK(f.up.name == "ingress-nginx-controller.ingress-nginx.svc.cluster.local.");
    REQUIRE(a.rcode == "NOERROR");
    CHECK(question_of(a.wire) == std::string(alias) + " 1");
    // exact rules always map the answer back to the name asked
    CHECK(a.answer == std::vector<std::string>{std::string(alias) + "\t300\tIN\tA\t192.0.2.1"});
  }
  auto other = t.query("www.demo.com.", "A");
  CHECK(f.up.name == "www.demo.com.");
  CHECK(other.answer == std::vector<std::string>{"www.demo.com.\t300\tIN\tA\t192.0.2.1"});
}

TEST_CASE("rewrite: the client's question comes back in its own case", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite name gitlab.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    next
})CF",
              f.opt);
  auto a = t.query("GitLab.Demo.com.", "A");
  CHECK(question_of(a.wire) == "GitLab.Demo.com. 1");
  CHECK(a.answer == std::vector<std::string>{"gitlab.demo.com.\t300\tIN\tA\t192.0.2.1"});
}

TEST_CASE("rewrite: MacroPower's `rewrite continue { name exact ... }` (39)", "[rewrite][corpus]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite continue {
      name exact authentik.home.macro.network authentik-server.authentik.svc.cluster.local
    }
    next
})CF",
              f.opt);
  auto a = t.query("authentik.home.macro.network.", "A");
  CHECK(f.up.name == "authentik-server.authentik.svc.cluster.local.");
  CHECK(a.answer ==
        std::vector<std::string>{"authentik.home.macro.network.\t300\tIN\tA\t192.0.2.1"});
}

TEST_CASE("rewrite: AKS's coredns-custom regex rule with its answer rule (10)",
          "[rewrite][corpus]") {
  Fixture f;
  ChainTest t(R"CF(contoso.com:53 {
rewrite stop {
  name regex (.*)\.contoso\.com {1}.default.svc.cluster.local
  answer name (.*)\.default\.svc\.cluster\.local {1}.contoso.com
}
next
})CF",
              f.opt);
  auto a = t.query("myservice.contoso.com.", "A");
  CHECK(f.up.name == "myservice.default.svc.cluster.local.");
  CHECK(question_of(a.wire) == "myservice.contoso.com. 1");
  CHECK(a.answer == std::vector<std::string>{"myservice.contoso.com.\t300\tIN\tA\t192.0.2.1"});
  // A CNAME chain: names are rewritten back, values only with `answer value`.
  auto c = t.query("alias.contoso.com.", "A");
  CHECK(f.up.name == "alias.default.svc.cluster.local.");
  CHECK(c.answer == std::vector<std::string>{
                        "alias.contoso.com.\t300\tIN\tCNAME\ttarget.default.svc.cluster.local.",
                        "target.contoso.com.\t300\tIN\tA\t192.0.2.2"});
}

TEST_CASE("rewrite: answer value and answer auto rewrite CNAME targets back", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite stop {
        name regex (.*)-(us-west-1)\.coredns\.rocks {1}.service.{2}.consul
        answer name (.*)\.service\.(us-west-1)\.consul {1}-{2}.coredns.rocks
        answer value (.*)\.service\.(us-west-1)\.consul {1}-{2}.coredns.rocks
    }
    rewrite name suffix .corp.example. .svc.cluster.local. answer auto
    next
})CF",
              f.opt);
  auto a = t.query("alias-us-west-1.coredns.rocks.", "A");
  CHECK(f.up.name == "alias.service.us-west-1.consul.");
  CHECK(a.answer ==
        std::vector<std::string>{
            "alias-us-west-1.coredns.rocks.\t300\tIN\tCNAME\ttarget-us-west-1.coredns.rocks.",
            "target-us-west-1.coredns.rocks.\t300\tIN\tA\t192.0.2.2"});
  auto s = t.query("alias.corp.example.", "A");
  CHECK(f.up.name == "alias.svc.cluster.local.");
  CHECK(s.answer ==
        std::vector<std::string>{"alias.corp.example.\t300\tIN\tCNAME\ttarget.corp.example.",
                                 "target.corp.example.\t300\tIN\tA\t192.0.2.2"});
}

TEST_CASE("rewrite: prefix, substring and regex name rules as CoreDNS matches them", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite name prefix staging prod
    rewrite name substring service.us-west-1.example.org service.us-west-1.consul
    rewrite name regex (.*)\.db\.local {1}.database.svc.cluster.local answer auto
    next
})CF",
              f.opt);
  t.query("staging.app.example.", "A");
  CHECK(f.up.name == "prod.app.example.");
  t.query("stagingx.app.example.", "A");  // the prefix is "staging.", a whole label
  CHECK(f.up.name == "stagingx.app.example.");
  t.query("ftp.service.us-west-1.example.org.", "A");
  CHECK(f.up.name == "ftp.service.us-west-1.consul.");
  auto r = t.query("orders.db.local.", "A");
  CHECK(f.up.name == "orders.database.svc.cluster.local.");
  CHECK(r.answer == std::vector<std::string>{"orders.db.local.\t300\tIN\tA\t192.0.2.1"});
}

TEST_CASE("rewrite: continue applies the next rule to the rewritten query", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite continue name a.example b.example
    rewrite continue type MX A
    rewrite name b.example c.example
    rewrite name c.example d.example
    next
})CF",
              f.opt);
  auto a = t.query("a.example.", "MX");
  CHECK(f.up.name == "c.example.");  // the third rule stops: the fourth is not applied
  CHECK(f.up.qtype == dns::type::A);
  CHECK(question_of(a.wire) == "a.example. 15");
  CHECK(a.answer == std::vector<std::string>{"a.example.\t300\tIN\tA\t192.0.2.1"});
}

TEST_CASE("rewrite: type and class rules", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite type ANY HINFO
    next
}
ch.test:53 {
    chaos
    rewrite class CH IN
    next
})CF",
              f.opt);
  auto a = t.query("x.example.", "ANY");
  CHECK(f.up.qtype == dns::type::HINFO);
  CHECK(question_of(a.wire) == "x.example. 255");
  // Class CH is served only where a block has chaos or forward (CoreDNS's EnableChaos):
  // chaos opens it here, and passes x.ch.test on to rewrite.
  auto wire = cxxdns::testing::make_query("x.ch.test.", dns::type::TXT);
  wire[wire.size() - 1] = dns::cls::CH;
  auto c = t.query_wire(wire);
  CHECK(f.up.qclass == dns::cls::IN);
  CHECK(c.rcode == "NOERROR");
}

TEST_CASE("rewrite: ttl and rcode rules change the answer", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite continue ttl regex (.*)\.short\.example 15
    rewrite continue ttl exact capped.example 30-60
    rewrite rcode suffix nx.example NXDOMAIN NOERROR
    next
})CF",
              f.opt);
  CHECK(t.query("a.short.example.", "A").answer ==
        std::vector<std::string>{"a.short.example.\t15\tIN\tA\t192.0.2.1"});
  CHECK(t.query("capped.example.", "A").answer ==
        std::vector<std::string>{"capped.example.\t60\tIN\tA\t192.0.2.1"});
  f.up.ttl = 5;
  CHECK(t.query("capped.example.", "A").answer ==
        std::vector<std::string>{"capped.example.\t30\tIN\tA\t192.0.2.1"});
  f.up.rcode = dns::rcode::NXDOMAIN;
  CHECK(t.query("a.nx.example.", "A").rcode == "NOERROR");
  CHECK(t.query("a.other.example.", "A").rcode == "NXDOMAIN");
}

TEST_CASE("rewrite: the README's edns0 local rule, with whoami after it (21)",
          "[rewrite][corpus]") {
  ChainTest t(R"CF(. {
    rewrite edns0 local set 0xffee 0x61626364
    whoami
})CF");
  QueryOptions o;
  o.bufsize = 1232;
  auto a = t.query("example.org.", "A", o);
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.additional.size() == 2);  // whoami's A and SRV
  // As CoreDNS's server answers with the request's OPT: the option the rule set.
  auto opts = answer_options(a.wire);
  REQUIRE(opts.size() == 1);
  CHECK(opts[0].code == 0xffee);
  CHECK(std::string(opts[0].data.begin(), opts[0].data.end()) == "abcd");
  // A client without EDNS gets no OPT back (RFC 6891).
  CHECK_FALSE(t.query("example.org.", "A").has_opt);
}

TEST_CASE("rewrite: edns0 local, nsid and subnet reach the upstream", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite continue edns0 local set 0xffee abcd
    rewrite continue edns0 local append 0xfff0 {client_ip}
    rewrite continue edns0 local replace 0xfff1 nothing-to-replace
    rewrite continue edns0 nsid set
    rewrite edns0 subnet set 24 56
    next
})CF",
              f.opt);
  QueryOptions o;
  o.client_ip = "203.0.113.77";
  t.query("example.org.", "A", o);  // no EDNS from the client: an OPT is added
  REQUIRE(f.up.had_opt);
  REQUIRE(f.up.options.size() == 4);
  CHECK(f.up.options[0].code == 0xffee);
  CHECK(std::string(f.up.options[0].data.begin(), f.up.options[0].data.end()) == "abcd");
  CHECK(f.up.options[1].code == 0xfff0);
  CHECK(f.up.options[1].data == std::vector<uint8_t>{203, 0, 113, 77});
  CHECK(f.up.options[2].code == 3);
  CHECK(f.up.options[2].data.empty());
  CHECK(f.up.options[3].code == 8);  // family 1, /24, scope 0, 203.0.113
  CHECK(f.up.options[3].data == std::vector<uint8_t>{0, 1, 24, 0, 203, 0, 113});
  o.client_ip = "2001:db8:aaaa:bbbb::1";
  t.query("example.org.", "A", o);
  CHECK(f.up.options[3].data ==
        std::vector<uint8_t>{0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa, 0xbb});
}

TEST_CASE("rewrite: a name that is not a domain name after the rule is SERVFAIL", "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    rewrite name regex (.*)\.bad\.example {1}..broken
    next
})CF",
              f.opt);
  auto a = t.query("x.bad.example.", "A");
  CHECK(a.rcode == "SERVFAIL");
  CHECK(question_of(a.wire) == "x.bad.example. 1");
  CHECK(f.up.calls == 0);
}

TEST_CASE("rewrite: the cache before it stores the answer under the client's question",
          "[rewrite]") {
  Fixture f;
  ChainTest t(R"CF(.:53 {
    cache 30
    rewrite name gitlab.demo.com ingress-nginx-controller.ingress-nginx.svc.cluster.local
    next
})CF",
              f.opt);
  auto first = t.query("gitlab.demo.com.", "A");
  auto second = t.query("gitlab.demo.com.", "A");
  CHECK(f.up.calls == 1);  // the second is a cache hit
  REQUIRE(first.answer.size() == 1);
  REQUIRE(second.answer.size() == 1);
  CHECK(second.answer[0].starts_with("gitlab.demo.com.\t"));
  CHECK(second.answer[0].ends_with("\tIN\tA\t192.0.2.1"));
  CHECK(question_of(second.wire) == "gitlab.demo.com. 1");
  // The rewritten name itself is not what the cache holds.
  t.query("ingress-nginx-controller.ingress-nginx.svc.cluster.local.", "A");
  CHECK(f.up.calls == 2);
}

TEST_CASE("rewrite: setup errors in CoreDNS's words", "[rewrite]") {
  // 07-kubespray-external-zones: CoreDNS itself rejects this line.
  CHECK(setup_error("mydomain.tld {\n    rewrite name stop website.tld "
                    "website.namespace.svc.cluster.local\n    whoami\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: name rule supports only exact, "
        "prefix, suffix, substring, and regex name matching, received: stop");
  CHECK(setup_error(". {\n rewrite\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: no rule type specified for rewrite");
  CHECK(setup_error(". {\n rewrite stop\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: stop rule must begin with a rule type");
  CHECK(setup_error(". {\n rewrite foo a b\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid rule type \"foo\"");
  CHECK(setup_error(". {\n rewrite answer name a b\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: response rewrites must begin with a "
        "name rule");
  CHECK(setup_error(". {\n rewrite type A\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: type rules must have exactly two "
        "arguments");
  CHECK(setup_error(". {\n rewrite type A FOO\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid type \"FOO\"");
  CHECK(setup_error(". {\n rewrite name regex (a b{2}\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid regex matching pattern: (a");
  CHECK(setup_error(". {\n rewrite name regex a {1}\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: the rewrite regex pattern ({1}) uses "
        "more subexpressions than its corresponding matching regex pattern (a)");
  CHECK(setup_error(". {\n rewrite name exact a b answer auto answer name x y\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: auto name answer rule cannot be "
        "combined with explicit name anwer rules");
  CHECK(setup_error(". {\n rewrite ttl a.example x\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid TTL 'x' for a ttl rule");
  CHECK(setup_error(". {\n rewrite rcode a.example FOO NOERROR\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid matching RCODE 'FOO' for a "
        "rcode rule");
  CHECK(setup_error(". {\n rewrite edns0 local put 1 2\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid action: \"put\"");
  CHECK(setup_error(". {\n rewrite edns0 local set 0xffee 0xzz\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: encoding/hex: invalid byte: U+007A "
        "'z'");
  CHECK(setup_error(". {\n rewrite edns0 subnet set 33 56\n}\n") ==
        "plugin/rewrite: Corefile:2 - Error during parsing: invalid IPv4 bit mask length 33");
  CHECK(setup_error(". {\n rewrite edns0 local set 1 {server_ip}\n}\n").find("not supported") !=
        std::string::npos);
  CHECK(setup_error(". {\n rewrite stop {\n  name regex (.*)\\.a {1}.b\n  answer name (.*)\\.b "
                    "{1}.a\n }\n whoami\n}\n") == "no error");
}
