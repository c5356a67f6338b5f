// k8s_external: the external addresses of LoadBalancer and externalIPs services, headless
// endpoints with `headless`, SOA and NS at the apex, as CoreDNS's k8s_external (its
// TestExternal cases, on a state file of kubernetes).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/dns/constants.h"
#include "core/dns/writer.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"
#include "plugins/builtin.h"
#include "plugins/pkg/interfaces.h"
#include "plugins/pkg/ip.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::NextHandler;
namespace dns = cxxdns::dns;

namespace {

const std::string kState = std::string(CXXDNS_TEST_DATA) + "/k8s/external.json";

// What the rest of the server answers (forward, in a real block): an address for the load
// balancer's host name, NXDOMAIN for anything else. It counts the names it was asked.
struct Upstream {
  std::vector<std::string> asked;
  cxxdns::Registry reg;
  Upstream() {
    reg = cxxdns::testing::with_next_handler(
        cxxdns::plugins::builtin(), "kubernetes", "next", [this] {
          auto h = std::make_unique<NextHandler>();
          h->write = [this](cxxdns::QueryContext& ctx) {
            const std::string name(ctx.qname_text());
            asked.push_back(name + " " + std::to_string(ctx.q().qtype));
            dns::MessageWriter w(ctx.writable_response());
            const bool known = name == "lb-1.elb.example.com.";
            w.start_reply(ctx.q(), known ? dns::rcode::NOERROR : dns::rcode::NXDOMAIN, false);
            const uint8_t a[4] = {198, 51, 100, 7};
            if (known && ctx.q().qtype == dns::type::A) w.a(ctx.q().qname, 60, a);
          };
          return h;
        });
  }
  cxxdns::BuildOptions options() {
    cxxdns::BuildOptions o;
    o.registry = &reg;
    return o;
  }
};

std::string block(const std::string& external, const std::string& state = kState) {
  return ". {\n  kubernetes cluster.local {\n    state " + state + "\n  }\n  " + external +
         "\n  next\n}\n";
}

std::string soa(const std::string& apex = "dns", int ttl = 5) {
  return "example.org.\t" + std::to_string(ttl) + "\tIN\tSOA\tns1." + apex +
         ".example.org. hostmaster." + apex + ".example.org. 1700000000 7200 1800 86400 " +
         std::to_string(ttl);
}

// The host's addresses without loopback, as kubernetes takes them for the name servers.
std::vector<std::string> interface_addresses() {
  std::vector<std::string> out;
  for (const cxxdns::pkg::InterfaceAddress& i : cxxdns::pkg::interface_addresses()) {
    if (!i.loopback) out.push_back(i.address.text());
  }
  return out;
}

// A copy of the fixture (with the serial the tests expect) plus `extra` items.
struct State {
  std::string dir, path;
  explicit State(const std::string& extra = "") {
    std::ifstream in(kState);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (!extra.empty()) text.insert(text.rfind(']'), "," + extra);
    char tmpl[] = "/tmp/cxxdns-k8sext-XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/state.json";
    std::ofstream(path) << text;
    timespec ts[2] = {{1700000000, 0}, {1700000000, 0}};
    utimensat(AT_FDCWD, path.c_str(), ts, 0);
  }
  ~State() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
};

std::string setup_error(const std::string& external) {
  try {
    State s;
    ChainTest t(". {\n  kubernetes cluster.local {\n    state " + s.path + "\n  }\n  " + external +
                "\n}\n");
  } catch (const cxxdns::SetupError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("k8s_external: A and AAAA of externalIPs services", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org", s.path), up.options());
  auto a = t.query("ext1.prod.example.org.", "A");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(a.answer == std::vector<std::string>{"ext1.prod.example.org.\t5\tIN\tA\t192.0.2.1"});
  CHECK(t.query("Ext1.Prod.example.org.", "AAAA").answer ==
        std::vector<std::string>{"Ext1.Prod.example.org.\t5\tIN\tAAAA\t2001:db8::1"});
  CHECK(up.asked.empty());
}

TEST_CASE("k8s_external: a load balancer's ingress address and host name", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org", s.path), up.options());
  auto a = t.query("lb.prod.example.org.", "A");
  REQUIRE(a.rcode == "NOERROR");
  // The address, then a CNAME to the host name and its address, asked through the chain.
  CHECK(a.answer == std::vector<std::string>{
                        "lb.prod.example.org.\t5\tIN\tA\t203.0.113.10",
                        "lb.prod.example.org.\t5\tIN\tCNAME\tlb-1.elb.example.com.",
                        "lb-1.elb.example.com.\t60\tIN\tA\t198.51.100.7",
                    });
  CHECK(up.asked == std::vector<std::string>{"lb-1.elb.example.com. 1"});
}

TEST_CASE("k8s_external: SRV records, weights shared, targets' addresses", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org", s.path), up.options());
  auto a = t.query("_http._tcp.ext1.prod.example.org.", "SRV");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer ==
        std::vector<std::string>{
            "_http._tcp.ext1.prod.example.org.\t5\tIN\tSRV\t0 50 80 ext1.prod.example.org."});
  CHECK(a.additional ==
        std::vector<std::string>{"ext1.prod.example.org.\t5\tIN\tA\t192.0.2.1",
                                 "ext1.prod.example.org.\t5\tIN\tAAAA\t2001:db8::1"});
  auto lb = t.query("lb.prod.example.org.", "SRV");
  CHECK(lb.answer == std::vector<std::string>{
                         "lb.prod.example.org.\t5\tIN\tSRV\t0 25 80 lb.prod.example.org.",
                         "lb.prod.example.org.\t5\tIN\tSRV\t0 25 443 lb.prod.example.org.",
                         "lb.prod.example.org.\t5\tIN\tSRV\t0 25 80 lb-1.elb.example.com.",
                         "lb.prod.example.org.\t5\tIN\tSRV\t0 25 443 lb-1.elb.example.com.",
                     });
  CHECK(lb.additional == std::vector<std::string>{
                             "lb.prod.example.org.\t5\tIN\tA\t203.0.113.10",
                             "lb-1.elb.example.com.\t60\tIN\tA\t198.51.100.7",
                         });
  // A port and protocol that no service has: NXDOMAIN.
  auto none = t.query("*._not-udp-or-tcp.ext1.prod.example.org.", "SRV");
  CHECK(none.rcode == "NXDOMAIN");
  CHECK(none.authority == std::vector<std::string>{soa()});
}

TEST_CASE("k8s_external: NXDOMAIN and NODATA, with the zone's SOA", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org", s.path), up.options());
  for (const char* name : {"nope.prod.example.org.", "svc0.svc-nons.example.org.",
                           "plain.prod.example.org.", "hl.prod.example.org."}) {
    auto a = t.query(name, "A");
    CHECK(a.rcode == "NXDOMAIN");
    CHECK(a.aa());
    CHECK(a.authority == std::vector<std::string>{soa()});
  }
  // The namespace alone, a type without records, a type not served: NODATA.
  for (auto [name, type] : {std::pair{"prod.example.org.", "A"},
                            {"prod.example.org.", "SOA"},
                            {"ext1.prod.example.org.", "TXT"},
                            {"shared.default.example.org.", "AAAA"}}) {
    auto a = t.query(name, type);
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.empty());
    CHECK(a.authority == std::vector<std::string>{soa()});
  }
}

TEST_CASE("k8s_external: SOA and NS at the apex, the apex subdomain", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org", s.path), up.options());
  CHECK(t.query("example.org.", "SOA").answer == std::vector<std::string>{soa()});
  auto ns = t.query("example.org.", "NS");
  CHECK(ns.aa());
  CHECK(ns.answer == std::vector<std::string>{"example.org.\t5\tIN\tNS\tns1.dns.example.org."});
  // No service's endpoint is this host: its own addresses (no loopback), as CoreDNS.
  const auto local = interface_addresses();
  CHECK(ns.additional.size() == local.size());
  for (auto& r : ns.additional) CHECK(r.starts_with("ns1.dns.example.org.\t5\tIN\tA"));
  auto mx = t.query("example.org.", "MX");
  CHECK(mx.answer.empty());
  CHECK(mx.authority == std::vector<std::string>{soa()});
  CHECK(t.query("dns.example.org.", "A").authority == std::vector<std::string>{soa()});
  CHECK(t.query("dns.example.org.", "A").rcode == "NOERROR");
  CHECK(t.query("ns2.dns.example.org.", "A").rcode == "NXDOMAIN");
  CHECK(t.query("a.ns1.dns.example.org.", "A").rcode == "NXDOMAIN");
  auto ns1 = t.query("ns1.dns.example.org.", "A");
  CHECK(ns1.rcode == "NOERROR");
  const size_t v4 = std::count_if(local.begin(), local.end(),
                                  [](auto& a) { return a.find(':') == std::string::npos; });
  CHECK(ns1.answer.size() == v4);
  CHECK(up.asked.empty());
}

TEST_CASE("k8s_external: the name server is the service whose endpoint this host is",
          "[k8s_external]") {
  const auto local = interface_addresses();
  auto v4 = std::find_if(local.begin(), local.end(),
                         [](auto& a) { return a.find(':') == std::string::npos; });
  if (v4 == local.end()) {
    WARN("no IPv4 address on this host besides loopback: nothing to check");
    return;
  }
  // kube-dns, exposed on 198.51.100.53, has this host as its endpoint (CoreDNS in its pod).
  State s(R"({"kind": "Service", "metadata": {"name": "kube-dns", "namespace": "kube-system"},
     "spec": {"clusterIP": "10.96.0.10", "externalIPs": ["198.51.100.53"],
              "ports": [{"name": "dns", "protocol": "UDP", "port": 53}]}},
    {"kind": "EndpointSlice", "metadata": {"name": "kube-dns-x", "namespace": "kube-system",
     "labels": {"kubernetes.io/service-name": "kube-dns"}}, "addressType": "IPv4",
     "endpoints": [{"addresses": [")" +
          *v4 + R"("]}], "ports": [{"name": "dns", "protocol": "UDP", "port": 53}]})");
  Upstream up;
  ChainTest t(block("k8s_external example.org", s.path), up.options());
  auto ns = t.query("example.org.", "NS");
  CHECK(ns.additional == std::vector<std::string>{"ns1.dns.example.org.\t5\tIN\tA\t198.51.100.53"});
  CHECK(t.query("ns1.dns.example.org.", "A").answer ==
        std::vector<std::string>{"ns1.dns.example.org.\t5\tIN\tA\t198.51.100.53"});
}

TEST_CASE("k8s_external: PTR of external addresses in a reverse zone it serves", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org 2.0.192.in-addr.arpa", s.path), up.options());
  auto a = t.query("1.2.0.192.in-addr.arpa.", "PTR");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer == std::vector<std::string>{
                        "1.2.0.192.in-addr.arpa.\t5\tIN\tPTR\text1.prod.example.org.",
                        "1.2.0.192.in-addr.arpa.\t5\tIN\tPTR\tshared.default.example.org.",
                    });
  auto none = t.query("9.2.0.192.in-addr.arpa.", "PTR");
  CHECK(none.rcode == "NXDOMAIN");
  CHECK(none.authority.size() == 1);
}

TEST_CASE("k8s_external: headless services' endpoints with `headless`", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org {\n    headless\n  }", s.path), up.options());
  auto a = t.query("hl.prod.example.org.", "A");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.answer == std::vector<std::string>{"hl.prod.example.org.\t5\tIN\tA\t10.1.0.5",
                                             "hl.prod.example.org.\t5\tIN\tA\t10.1.0.6"});
  CHECK(t.query("web-0.hl.prod.example.org.", "A").answer ==
        std::vector<std::string>{"web-0.hl.prod.example.org.\t5\tIN\tA\t10.1.0.5"});
  auto srv = t.query("hl.prod.example.org.", "SRV");
  CHECK(srv.answer ==
        std::vector<std::string>{
            "hl.prod.example.org.\t5\tIN\tSRV\t0 50 8080 web-0.hl.prod.example.org.",
            "hl.prod.example.org.\t5\tIN\tSRV\t0 50 8080 10-1-0-6.hl.prod.example.org.",
        });
  CHECK(srv.additional == std::vector<std::string>{
                              "web-0.hl.prod.example.org.\t5\tIN\tA\t10.1.0.5",
                              "10-1-0-6.hl.prod.example.org.\t5\tIN\tA\t10.1.0.6",
                          });
  // External addresses still win over endpoints.
  CHECK(t.query("ext1.prod.example.org.", "A").answer ==
        std::vector<std::string>{"ext1.prod.example.org.\t5\tIN\tA\t192.0.2.1"});
}

TEST_CASE("k8s_external: fallthrough passes NXDOMAIN names on", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org {\n    fallthrough\n  }", s.path), up.options());
  CHECK(t.query("nope.prod.example.org.", "A").rcode == "NXDOMAIN");
  CHECK(up.asked == std::vector<std::string>{"nope.prod.example.org. 1"});
  // NODATA is answered.
  CHECK(t.query("prod.example.org.", "A").authority == std::vector<std::string>{soa()});
  CHECK(up.asked.size() == 1);
}

TEST_CASE("k8s_external: ttl and apex", "[k8s_external]") {
  State s;
  Upstream up;
  ChainTest t(block("k8s_external example.org {\n    apex ext\n    ttl 30\n  }", s.path),
              up.options());
  CHECK(t.query("example.org.", "SOA").answer == std::vector<std::string>{soa("ext", 30)});
  CHECK(t.query("example.org.", "NS").answer ==
        std::vector<std::string>{"example.org.\t30\tIN\tNS\tns1.ext.example.org."});
  CHECK(t.query("ext1.prod.example.org.", "A").answer ==
        std::vector<std::string>{"ext1.prod.example.org.\t30\tIN\tA\t192.0.2.1"});
  // The CNAME of a host name keeps kubernetes' TTL, as CoreDNS's msg.Service gives it.
  auto lb = t.query("lb.prod.example.org.", "A");
  REQUIRE(lb.answer.size() == 3);
  CHECK(lb.answer[1] == "lb.prod.example.org.\t5\tIN\tCNAME\tlb-1.elb.example.com.");
}

TEST_CASE("k8s_external: without kubernetes in the block it passes queries on", "[k8s_external]") {
  ChainTest t(". {\n  k8s_external example.org\n  whoami\n}\n");
  auto a = t.query("lb.prod.example.org.", "A");
  CHECK(a.answer.empty());
  CHECK(a.additional.size() == 2);  // whoami's
}

TEST_CASE("k8s_external: the corpus's README block (28), without transfer", "[k8s_external]") {
  State s;
  ChainTest t(". {\n    kubernetes cluster.local {\n      state " + s.path +
              "\n    }\n    k8s_external example.org\n}\n");
  CHECK(t.query("ext1.prod.example.org.", "A").answer ==
        std::vector<std::string>{"ext1.prod.example.org.\t5\tIN\tA\t192.0.2.1"});
  CHECK(t.query("ext1.prod.svc.cluster.local.", "A").answer ==
        std::vector<std::string>{"ext1.prod.svc.cluster.local.\t5\tIN\tA\t10.96.0.21"});
}

TEST_CASE("k8s_external: setup errors", "[k8s_external]") {
  const std::string at = "plugin/k8s_external: Corefile:6 - Error during parsing: ";
  CHECK(setup_error("k8s_external example.org {\n    ttl\n  }") ==
        at + "Wrong argument count or unexpected line ending after 'ttl'");
  CHECK(setup_error("k8s_external example.org {\n    ttl x\n  }") ==
        at + "strconv.Atoi: parsing \"x\": invalid syntax");
  CHECK(setup_error("k8s_external example.org {\n    ttl 3601\n  }") ==
        at + "ttl must be in range [0, 3600]: 3601");
  CHECK(setup_error("k8s_external example.org {\n    apex\n  }") ==
        at + "Wrong argument count or unexpected line ending after 'apex'");
  CHECK(setup_error("k8s_external example.org {\n    foo\n  }") == at + "unknown property 'foo'");
  CHECK(setup_error("k8s_external example.org {\n    ttl 0\n    headless\n    fallthrough\n  }") ==
        "no error");
}
