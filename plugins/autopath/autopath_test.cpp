// autopath: the server walks the client's search path and answers the first name that is
// not NXDOMAIN with a CNAME from the name asked, as CoreDNS's autopath (its TestAutoPath and
// setup cases), from a resolv.conf and from kubernetes (@kubernetes, pods verified).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "core/dns/constants.h"
#include "core/dns/writer.h"
#include "core/metrics/metrics.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/autopath/autopath.h"
#include "plugins/builtin.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
using cxxdns::testing::QueryOptions;
using cxxdns::testing::stdout_lines;
namespace dns = cxxdns::dns;

namespace {

// A file for one test, removed at the end.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/cxxdns-autopath-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

// CoreDNS's test handler: names in `found` get "NAME 3600 IN A 127.0.0.53", the others
// NXDOMAIN with an SOA; it counts the names it was asked.
struct Names {
  std::vector<std::string> found;
  std::vector<std::string> asked;
  std::string fail_on;  // a name answered with an error (a plugin's failure)
};

cxxdns::Registry registry(Names& names, const char* anchor) {
  return cxxdns::testing::with_next_handler(cxxdns::plugins::builtin(), anchor, "next", [&] {
    auto h = std::make_unique<NextHandler>();
    NextHandler* self = h.get();
    h->write = [&names, self](cxxdns::QueryContext& ctx) {
      (void)self;
      const std::string name(ctx.qname_text());
      names.asked.push_back(name);
      dns::MessageWriter w(ctx.writable_response());
      const bool found =
          std::find(names.found.begin(), names.found.end(), name) != names.found.end();
      w.start_reply(ctx.q(), found ? dns::rcode::NOERROR : dns::rcode::NXDOMAIN, true);
      if (found) {
        const uint8_t a[4] = {127, 0, 0, 53};
        w.a(ctx.q().qname, 3600, a);
        return;
      }
      w.section(dns::Section::authority);
      dns::Name zone;
      dns::from_text("example.org.", zone);
      w.begin_rr(zone, dns::type::SOA, dns::cls::IN, 1800);
      w.rd_name(zone);
      w.rd_name(zone);
      for (uint32_t v : {1502165581u, 14400u, 3600u, 604800u, 14400u}) w.rd_u32(v);
      w.end_rr();
    };
    return h;
  });
}

// A failing stand-in: the name `fail_on` gets SERVFAIL with an error, as forward's failures.
class Failing final : public cxxdns::Plugin {
 public:
  explicit Failing(Names& n) : names_(n) {}
  std::string_view name() const override { return "failing"; }
  cxxdns::Verdict serve(cxxdns::QueryContext& ctx) override {
    if (ctx.qname_text() == names_.fail_on) {
      return ctx.fail(dns::rcode::SERVFAIL, "plugin/forward: no healthy upstreams");
    }
    return ctx.next();
  }

 private:
  Names& names_;
};

uint64_t successes(const std::string& server) {
  return cxxdns::metrics::Registry::global()
      .counter("coredns_autopath_success_total", "Counter of requests that did autopath.",
               {"server"})
      .with({server})
      .value();
}

std::string setup_error(const std::string& line) {
  try {
    ChainTest t(". {\n  " + line + "\n  whoami\n}\n");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("autopath: search path expansion, with a CNAME to the name found", "[autopath]") {
  TempFile resolv("nameserver 1.2.3.4\nsearch example.org example.com com\n");
  Names names;
  names.found = {"b.com.", "a.example.com."};
  auto reg = registry(names, "autopath");
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  autopath " + resolv.path + "\n  next\n}\n", o);
  const uint64_t before = successes("dns://:53");
  auto a = t.query("B.example.org.", "A");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer == std::vector<std::string>{"B.example.org.\t3600\tIN\tCNAME\tB.com.",
                                             "B.com.\t3600\tIN\tA\t127.0.0.53"});
  // The question is the client's, as asked.
  REQUIRE(a.wire.size() > 12 + 15);
  CHECK(std::string(a.wire.begin() + 13, a.wire.begin() + 14) == "B");
  CHECK(names.asked == std::vector<std::string>{"b.example.org.", "b.example.com.", "b.com."});
  CHECK(successes("dns://:53") == before + 1);
}

TEST_CASE("autopath: a name outside the first search domain is left alone", "[autopath]") {
  TempFile resolv("search example.org example.com com\n");
  Names names;
  names.found = {"a.example.com."};
  auto reg = registry(names, "autopath");
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  autopath " + resolv.path + "\n  next\n}\n", o);
  auto a = t.query("a.example.com.", "A");
  CHECK(a.answer == std::vector<std::string>{"a.example.com.\t3600\tIN\tA\t127.0.0.53"});
  CHECK(names.asked == std::vector<std::string>{"a.example.com."});
}

TEST_CASE("autopath: when every name is NXDOMAIN the client gets its own name's answer",
          "[autopath]") {
  TempFile resolv("search example.org example.com\n");
  Names names;
  auto reg = registry(names, "autopath");
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  autopath " + resolv.path + "\n  next\n}\n", o);
  auto a = t.query("c.example.org.", "A");
  CHECK(a.rcode == "NXDOMAIN");
  CHECK(a.answer.empty());
  CHECK(a.authority.size() == 1);
  CHECK(names.asked == std::vector<std::string>{"c.example.org.", "c.example.com.", "c."});
}

TEST_CASE("autopath: the first search domain itself is SERVFAIL, as CoreDNS", "[autopath]") {
  TempFile resolv("search example.org example.com\n");
  Names names;
  auto reg = registry(names, "autopath");
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  errors\n  autopath " + resolv.path + "\n  next\n}\n", o);
  cxxdns::testing::Answer a;
  auto lines = stdout_lines([&] { a = t.query("example.org.", "A"); });
  CHECK(a.rcode == "SERVFAIL");
  CHECK(lines == std::vector<std::string>{
                     "[ERROR] plugin/errors: 2 example.org. A: trimzone: overshot qname: "
                     "example.org.for zone example.org."});
  CHECK(names.asked.empty());
}

TEST_CASE("autopath: a plugin's error ends the walk with it", "[autopath]") {
  TempFile resolv("search example.org example.com com\n");
  Names names;
  names.found = {"b.com."};
  names.fail_on = "b.example.com.";
  cxxdns::Registry reg = registry(names, "autopath");
  reg.add_after("autopath", "failing",
                [&](cxxdns::SetupContext&) -> std::unique_ptr<cxxdns::Plugin> {
                  return std::make_unique<Failing>(names);
                });
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  errors\n  autopath " + resolv.path + "\n  failing\n  next\n}\n", o);
  cxxdns::testing::Answer a;
  auto lines = stdout_lines([&] { a = t.query("b.example.org.", "A"); });
  CHECK(a.rcode == "SERVFAIL");
  CHECK(lines == std::vector<std::string>{
                     "[ERROR] plugin/errors: 2 b.example.org. A: plugin/forward: no healthy "
                     "upstreams"});
  CHECK(names.asked == std::vector<std::string>{"b.example.org."});
}

TEST_CASE("autopath: ZONE limits it, EDNS and flags go with the search-path queries",
          "[autopath]") {
  TempFile resolv("search example.org example.com\n");
  Names names;
  names.found = {"b.example.com."};
  auto reg = registry(names, "autopath");
  cxxdns::BuildOptions o;
  o.registry = &reg;
  ChainTest t(". {\n  autopath example.net " + resolv.path + "\n  next\n}\n", o);
  CHECK(t.query("b.example.org.", "A").rcode == "NXDOMAIN");  // not in example.net
  CHECK(names.asked == std::vector<std::string>{"b.example.org."});
  ChainTest u(". {\n  autopath " + resolv.path + "\n  next\n}\n", o);
  QueryOptions q;
  q.bufsize = 1232;
  q.do_bit = true;
  auto a = u.query("b.example.org.", "A", q);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.has_opt);
  CHECK(a.answer.size() == 2);
}

TEST_CASE("autopath @kubernetes: a pod's namespace, the cluster zone, then the rest",
          "[autopath]") {
  // A pod of namespace default (10.1.0.50) asks hl.prod as its resolver would first:
  // hl.prod.default.svc.cluster.local. The server finds hl.prod.svc.cluster.local.
  Names names;
  names.found = {"www.example.com."};
  auto reg = registry(names, "kubernetes");  // what forward would answer, after kubernetes
  cxxdns::BuildOptions o;
  o.registry = &reg;
  // Corpus 27's block, without its template (another plugin) and with the upstream left out.
  ChainTest t(std::string(".:53 {\n  errors\n  ready\n  kubernetes cluster.local in-addr.arpa "
                          "ip6.arpa {\n    state ") +
                  CXXDNS_TEST_DATA +
                  "/k8s/external.json\n    pods verified\n"
                  "    fallthrough in-addr.arpa ip6.arpa\n    ttl 30\n  }\n  autopath @kubernetes\n"
                  "  cache 30\n  loop\n  loadbalance\n  next\n}\n",
              o);
  QueryOptions pod;
  pod.client_ip = "10.1.0.50";
  auto a = t.query("hl.prod.default.svc.cluster.local.", "A", pod);
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.answer.size() == 3);
  CHECK(a.answer[0] ==
        "hl.prod.default.svc.cluster.local.\t30\tIN\tCNAME\thl.prod.svc.cluster.local.");
  CHECK(a.answer[1].starts_with("hl.prod.svc.cluster.local.\t30\tIN\tA\t10.1.0."));
  // An outside name: the cluster's three NXDOMAINs, the node's domains, then the name. The
  // cache (corpus 27's `cache 30`) caps the TTLs.
  auto b = t.query("www.example.com.default.svc.cluster.local.", "A", pod);
  REQUIRE(b.rcode == "NOERROR");
  CHECK(b.answer ==
        std::vector<std::string>{
            "www.example.com.default.svc.cluster.local.\t30\tIN\tCNAME\twww.example.com.",
            "www.example.com.\t30\tIN\tA\t127.0.0.53"});
  CHECK(names.asked.back() == "www.example.com.");
  // Not a pod: the name is asked as it is (another name: the cache, before autopath as in
  // CoreDNS, would give anyone the answer it stored for the pod).
  QueryOptions stranger;
  stranger.client_ip = "10.9.9.9";
  CHECK(t.query("www.example.com.default.svc.cluster.local.", "AAAA", stranger).rcode ==
        "NXDOMAIN");
  CHECK(t.query("www.example.com.default.svc.cluster.local.", "A", stranger).answer.size() == 2);
  // A pod of another namespace gets its own path.
  QueryOptions prod;
  prod.client_ip = "10.1.0.5";
  CHECK(t.query("hl.prod.default.svc.cluster.local.", "AAAA", prod).rcode == "NXDOMAIN");
  auto c = t.query("hl.prod.svc.cluster.local.", "A", prod);
  CHECK(c.rcode == "NOERROR");
  CHECK(c.answer.size() == 2);  // the name itself exists: no CNAME
}

TEST_CASE("autopath @kubernetes without pods verified does nothing", "[autopath]") {
  ChainTest t(std::string(". {\n  kubernetes cluster.local {\n    state ") + CXXDNS_TEST_DATA +
              "/k8s/external.json\n    pods insecure\n  }\n  autopath @kubernetes\n}\n");
  QueryOptions pod;
  pod.client_ip = "10.1.0.50";
  CHECK(t.query("hl.prod.default.svc.cluster.local.", "A", pod).rcode == "NXDOMAIN");
}

TEST_CASE("autopath: setup, as CoreDNS's", "[autopath]") {
  CHECK(setup_error("autopath") ==
        "plugin/autopath: Corefile:2 - Error during parsing: no resolv-conf specified");
  CHECK(setup_error("autopath kubernetes") ==
        "plugin/autopath: Corefile:2 - Error during parsing: failed to parse \"kubernetes\": open "
        "kubernetes: No such file or directory");
  // A plugin that gives no search path refuses the configuration at startup.
  CHECK(setup_error("autopath @whoami") ==
        "plugin/autopath: whoami does not implement the AutoPather interface");
  // One that is not in the block: a warning, and autopath does nothing.
  std::string err;
  auto lines = stdout_lines([&] { err = setup_error("autopath @kubernetes"); });
  CHECK(err == "no error");
  CHECK(lines == std::vector<std::string>{
                     "[WARNING] plugin/autopath: no plugin kubernetes in this server block: no "
                     "search path"});
  CHECK(setup_error("autopath example.org 10.0.0.0/31 @kubernetes") == "no error");
}
