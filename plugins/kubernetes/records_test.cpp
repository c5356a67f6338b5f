// kubernetes: the records of the DNS specification from the fixture, exact RR sets,
// rcodes, AA and the SOA in negative answers.
#include <catch2/catch.hpp>

#include "core/plugin/testing.h"
#include "plugins/kubernetes/test_util.h"

using cxxdns::testing::Answer;
using cxxdns::testing::ChainTest;
using k8stest::soa;
using k8stest::sorted;
using V = std::vector<std::string>;

namespace {

constexpr const char* Z = ".svc.cluster.local.";

std::string corefile(const std::string& path, const std::string& opts) {
  return "cluster.local in-addr.arpa ip6.arpa {\n kubernetes cluster.local in-addr.arpa ip6.arpa "
         "{\n  state " +
         path + "\n" + opts + " }\n whoami\n}\n";
}

struct Fixture {
  k8stest::TempState state;
  ChainTest t;
  explicit Fixture(const std::string& opts = "pods verified\n") : t(corefile(state.path, opts)) {}
  Answer q(const std::string& name, const char* type) { return t.query(name, type); }
};

std::string rr(const std::string& name, const char* type, const std::string& data, int ttl = 5) {
  return name + "\t" + std::to_string(ttl) + "\tIN\t" + type + "\t" + data;
}

// A positive answer: NOERROR, AA, exactly `answer` (as a set), no authority.
void positive(const Answer& a, const V& answer, const V& additional = {}) {
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(sorted(a.answer) == sorted(answer));
  CHECK(a.authority.empty());
  CHECK(sorted(a.additional) == sorted(additional));
}

void negative(const Answer& a, const char* rcode, const std::string& zone = "cluster.local.") {
  REQUIRE(a.answered);
  CHECK(a.rcode == rcode);
  CHECK(a.aa());
  CHECK(a.answer.empty());
  CHECK(a.authority == V{soa(zone)});
}

}  // namespace

TEST_CASE("kubernetes: ClusterIP services", "[kubernetes]") {
  Fixture f;
  std::string web = std::string("web.prod") + Z;
  positive(f.q(web, "A"), {rr(web, "A", "10.96.10.10")});
  positive(f.q(web, "AAAA"), {rr(web, "AAAA", "fd00:10:96::a")});
  std::string dns = std::string("kube-dns.kube-system") + Z;
  positive(f.q(dns, "A"), {rr(dns, "A", "10.96.0.10")});
  negative(f.q(dns, "AAAA"), "NOERROR");  // single-stack: NODATA
  std::string api = std::string("kubernetes.default") + Z;
  positive(f.q(api, "A"), {rr(api, "A", "10.96.0.1")});
  // No endpoints, but a ClusterIP: still answered (unless ignore empty_service).
  std::string empty = std::string("api.staging") + Z;
  positive(f.q(empty, "A"), {rr(empty, "A", "10.96.20.20")});
  // Case does not matter; the answer keeps the question's case.
  positive(f.q("WEB.Prod.svc.cluster.local.", "A"),
           {rr("WEB.Prod.svc.cluster.local.", "A", "10.96.10.10")});
}

TEST_CASE("kubernetes: headless services and endpoint names", "[kubernetes]") {
  Fixture f;
  std::string db = std::string("db.prod") + Z;
  // db-2 is not ready: left out.
  positive(f.q(db, "A"), {rr(db, "A", "10.244.1.10"), rr(db, "A", "10.244.1.11")});
  negative(f.q(db, "AAAA"), "NOERROR");
  positive(f.q("db-0." + db, "A"), {rr("db-0." + db, "A", "10.244.1.10")});
  positive(f.q("db-1." + db, "A"), {rr("db-1." + db, "A", "10.244.1.11")});
  negative(f.q("db-2." + db, "A"), "NXDOMAIN");
  // From v1 Endpoints, without hostnames: the address with dashes names the endpoint.
  std::string cache = std::string("cache.prod") + Z;
  positive(f.q(cache, "A"), {rr(cache, "A", "10.244.2.20"), rr(cache, "A", "10.244.2.21")});
  positive(f.q("10-244-2-20." + cache, "A"), {rr("10-244-2-20." + cache, "A", "10.244.2.20")});
  negative(f.q("10-244-2-22." + cache, "A"), "NXDOMAIN");  // notReadyAddresses
  negative(f.q("cache-7f9c-abcde." + cache, "A"), "NXDOMAIN");
  // Endpoints of a ClusterIP service have names too, IPv6 ones with dashes for colons.
  std::string web = std::string("web.prod") + Z;
  positive(f.q("10-244-1-5." + web, "A"), {rr("10-244-1-5." + web, "A", "10.244.1.5")});
  positive(f.q("fd00-10-244-1--5." + web, "AAAA"),
           {rr("fd00-10-244-1--5." + web, "AAAA", "fd00:10:244:1::5")});
  negative(f.q("10-244-1-5." + web, "AAAA"), "NOERROR");
  // A headless service with no ready endpoint does not exist.
  negative(f.q(std::string("jobs.staging") + Z, "A"), "NXDOMAIN");
}

TEST_CASE("kubernetes: endpoint_pod_names", "[kubernetes]") {
  Fixture f("endpoint_pod_names\n");
  std::string cache = std::string("cache.prod") + Z;
  positive(f.q("cache-7f9c-abcde." + cache, "A"),
           {rr("cache-7f9c-abcde." + cache, "A", "10.244.2.20")});
  negative(f.q("10-244-2-20." + cache, "A"), "NXDOMAIN");
  // A hostname still wins over the pod name.
  std::string db = std::string("db.prod") + Z;
  positive(f.q("db-0." + db, "A"), {rr("db-0." + db, "A", "10.244.1.10")});
  positive(f.q(cache, "SRV"),
           {rr(cache, "SRV", "0 50 6379 cache-7f9c-abcde." + cache),
            rr(cache, "SRV", "0 50 6379 cache-7f9c-fghij." + cache)},
           {rr("cache-7f9c-abcde." + cache, "A", "10.244.2.20"),
            rr("cache-7f9c-fghij." + cache, "A", "10.244.2.21")});
}

TEST_CASE("kubernetes: SRV records", "[kubernetes]") {
  Fixture f;
  std::string web = std::string("web.prod") + Z;
  // Dual-stack: one SRV per address before duplicates go, so the weight is 100/2.
  positive(f.q("_http._tcp." + web, "SRV"), {rr("_http._tcp." + web, "SRV", "0 50 80 " + web)},
           {rr(web, "A", "10.96.10.10"), rr(web, "AAAA", "fd00:10:96::a")});
  // At the service name: every port, named or not (2 ports x 2 addresses).
  positive(f.q(web, "SRV"), {rr(web, "SRV", "0 25 80 " + web), rr(web, "SRV", "0 25 8443 " + web)},
           {rr(web, "A", "10.96.10.10"), rr(web, "AAAA", "fd00:10:96::a")});
  std::string dns = std::string("kube-dns.kube-system") + Z;
  positive(f.q("_dns._udp." + dns, "SRV"), {rr("_dns._udp." + dns, "SRV", "0 100 53 " + dns)},
           {rr(dns, "A", "10.96.0.10")});
  positive(f.q("_DNS-TCP._TCP." + dns, "SRV"),
           {rr("_DNS-TCP._TCP." + dns, "SRV", "0 100 53 " + dns)}, {rr(dns, "A", "10.96.0.10")});
  negative(f.q("_dns._tcp." + dns, "SRV"), "NXDOMAIN");  // port dns is UDP
  negative(f.q("_https._tcp." + web, "SRV"), "NXDOMAIN");
  negative(f.q("_tcp." + web, "SRV"), "NXDOMAIN");
  // Headless: one per endpoint, targets named after the endpoints, their addresses added.
  std::string db = std::string("db.prod") + Z;
  positive(f.q("_postgres._tcp." + db, "SRV"),
           {rr("_postgres._tcp." + db, "SRV", "0 50 5432 db-0." + db),
            rr("_postgres._tcp." + db, "SRV", "0 50 5432 db-1." + db)},
           {rr("db-0." + db, "A", "10.244.1.10"), rr("db-1." + db, "A", "10.244.1.11")});
  std::string cache = std::string("cache.prod") + Z;
  positive(f.q("_redis._tcp." + cache, "SRV"),
           {rr("_redis._tcp." + cache, "SRV", "0 50 6379 10-244-2-20." + cache),
            rr("_redis._tcp." + cache, "SRV", "0 50 6379 10-244-2-21." + cache)},
           {rr("10-244-2-20." + cache, "A", "10.244.2.20"),
            rr("10-244-2-21." + cache, "A", "10.244.2.21")});
  // The SRV name also answers A (its addresses), as in CoreDNS.
  positive(f.q("_redis._tcp." + cache, "A"), {rr("_redis._tcp." + cache, "A", "10.244.2.20"),
                                              rr("_redis._tcp." + cache, "A", "10.244.2.21")});
  negative(f.q(std::string("db.prod") + Z, "TXT"), "NOERROR");
}

TEST_CASE("kubernetes: ExternalName", "[kubernetes]") {
  Fixture f;
  std::string ext = std::string("ext.prod") + Z;
  positive(f.q(ext, "A"), {rr(ext, "CNAME", "db.example.com.")});
  positive(f.q(ext, "AAAA"), {rr(ext, "CNAME", "db.example.com.")});
  positive(f.q(ext, "CNAME"), {rr(ext, "CNAME", "db.example.com.")});
  negative(f.q("x." + ext, "A"), "NXDOMAIN");
}

TEST_CASE("kubernetes: PTR records", "[kubernetes]") {
  Fixture f;
  auto ptr = [&](const std::string& rev, const std::string& target) {
    positive(f.q(rev, "PTR"), {rr(rev, "PTR", target)});
  };
  ptr("10.10.96.10.in-addr.arpa.", std::string("web.prod") + Z);
  ptr("a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.",
      std::string("web.prod") + Z);
  ptr("10.0.96.10.in-addr.arpa.", std::string("kube-dns.kube-system") + Z);
  ptr("10.1.244.10.in-addr.arpa.", std::string("db-0.db.prod") + Z);
  ptr("20.2.244.10.in-addr.arpa.", std::string("10-244-2-20.cache.prod") + Z);
  ptr("5.1.244.10.in-addr.arpa.", std::string("10-244-1-5.web.prod") + Z);
  ptr("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.4.4.2.0.0.1.0.0.0.0.d.f.ip6.arpa.",
      std::string("fd00-10-244-1--5.web.prod") + Z);
  negative(f.q("12.1.244.10.in-addr.arpa.", "PTR"), "NXDOMAIN", "in-addr.arpa.");  // not ready
  negative(f.q("1.1.1.1.in-addr.arpa.", "PTR"), "NXDOMAIN", "in-addr.arpa.");
  negative(f.q("10.10.96.10.in-addr.arpa.", "A"), "NXDOMAIN", "in-addr.arpa.");
  negative(f.q("in-addr.arpa.", "PTR"), "NOERROR", "in-addr.arpa.");
  positive(f.q("in-addr.arpa.", "SOA"), {soa("in-addr.arpa.")});
  // A forward name has no PTR: NODATA.
  negative(f.q(std::string("web.prod") + Z, "PTR"), "NOERROR");
}

TEST_CASE("kubernetes: pod records by mode", "[kubernetes]") {
  SECTION("verified") {
    Fixture f("pods verified\n");
    positive(f.q("10-244-1-10.prod.pod.cluster.local.", "A"),
             {rr("10-244-1-10.prod.pod.cluster.local.", "A", "10.244.1.10")});
    positive(f.q("fd00-10-244-1--5.prod.pod.cluster.local.", "AAAA"),
             {rr("fd00-10-244-1--5.prod.pod.cluster.local.", "AAAA", "fd00:10:244:1::5")});
    negative(f.q("10-244-1-10.prod.pod.cluster.local.", "AAAA"), "NOERROR");
    negative(f.q("10-244-1-10.staging.pod.cluster.local.", "A"), "NXDOMAIN");  // other namespace
    negative(f.q("10-244-9-9.prod.pod.cluster.local.", "A"), "NXDOMAIN");      // no such pod
    negative(f.q("prod.pod.cluster.local.", "A"), "NOERROR");
    negative(f.q("nons.pod.cluster.local.", "A"), "NXDOMAIN");
  }
  SECTION("insecure") {
    Fixture f("pods insecure\n");
    positive(f.q("10-244-9-9.prod.pod.cluster.local.", "A"),
             {rr("10-244-9-9.prod.pod.cluster.local.", "A", "10.244.9.9")});
    positive(f.q("fd00--9.staging.pod.cluster.local.", "AAAA"),
             {rr("fd00--9.staging.pod.cluster.local.", "AAAA", "fd00::9")});
    negative(f.q("10-244-9-9.nons.pod.cluster.local.", "A"), "NXDOMAIN");  // namespace must exist
    negative(f.q("not-an-ip.prod.pod.cluster.local.", "A"), "NXDOMAIN");
    negative(f.q("10-244-9-999.prod.pod.cluster.local.", "A"), "NXDOMAIN");
  }
  SECTION("disabled") {
    Fixture f("");
    negative(f.q("10-244-1-10.prod.pod.cluster.local.", "A"), "NXDOMAIN");
    negative(f.q("prod.pod.cluster.local.", "A"), "NXDOMAIN");
    negative(f.q("pod.cluster.local.", "A"), "NOERROR");
  }
}

TEST_CASE("kubernetes: apex, dns-version, NXDOMAIN and NODATA", "[kubernetes]") {
  Fixture f;
  positive(f.q("cluster.local.", "SOA"), {soa()});
  positive(f.q("cluster.local.", "NS"), {rr("cluster.local.", "NS", "ns.dns.cluster.local.")});
  negative(f.q("cluster.local.", "A"), "NOERROR");
  positive(f.q("dns-version.cluster.local.", "TXT"),
           {rr("dns-version.cluster.local.", "TXT", "\"1.1.0\"", 28800)});
  negative(f.q("dns-version.cluster.local.", "A"), "NXDOMAIN");
  negative(f.q("svc.cluster.local.", "A"), "NOERROR");
  negative(f.q("prod.svc.cluster.local.", "A"), "NOERROR");
  negative(f.q("nons.svc.cluster.local.", "A"), "NXDOMAIN");
  negative(f.q("nope.prod.svc.cluster.local.", "A"), "NXDOMAIN");
  negative(f.q("foo.cluster.local.", "A"), "NXDOMAIN");
  negative(f.q("a.b.c.web.prod.svc.cluster.local.", "A"), "NXDOMAIN");  // too long
  negative(f.q(std::string("web.prod") + Z, "MX"), "NOERROR");
  negative(f.q(std::string("web.prod") + Z, "TXT"), "NOERROR");
  negative(f.q(std::string("web.prod") + Z, "SOA"), "NOERROR");
  negative(f.q(std::string("web.prod") + Z, "NS"), "NOERROR");
  auto axfr = f.q("cluster.local.", "AXFR");
  CHECK(axfr.rcode == "REFUSED");
}

TEST_CASE("kubernetes: fallthrough and names outside the zones", "[kubernetes]") {
  SECTION("all zones") {
    Fixture f("fallthrough\n");
    auto a = f.q("nope.prod.svc.cluster.local.", "A");
    CHECK(a.rcode == "NOERROR");  // whoami answered
    CHECK_FALSE(a.additional.empty());
    negative(f.q("prod.svc.cluster.local.", "A"), "NOERROR");  // NODATA is ours
  }
  SECTION("reverse zones only") {
    Fixture f("fallthrough in-addr.arpa ip6.arpa\n");
    negative(f.q("nope.prod.svc.cluster.local.", "A"), "NXDOMAIN");
    auto a = f.q("1.1.1.1.in-addr.arpa.", "PTR");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.empty());
    CHECK_FALSE(a.additional.empty());  // whoami's
    positive(f.q("10.10.96.10.in-addr.arpa.", "PTR"),
             {rr("10.10.96.10.in-addr.arpa.", "PTR", std::string("web.prod") + Z)});
  }
  SECTION("outside the plugin's zones") {
    k8stest::TempState state;
    ChainTest t(". {\n kubernetes cluster.local {\n  state " + state.path + "\n }\n whoami\n}\n");
    auto a = t.query("example.org.", "A");
    CHECK(a.rcode == "NOERROR");
    CHECK_FALSE(a.additional.empty());
    auto p = t.query("10.10.96.10.in-addr.arpa.", "PTR");
    CHECK(p.answer.empty());  // in-addr.arpa is not one of its zones
  }
}

TEST_CASE("kubernetes: namespaces, labels, noendpoints, ignore empty_service", "[kubernetes]") {
  SECTION("namespaces") {
    Fixture f("namespaces prod\n");
    CHECK(f.q(std::string("web.prod") + Z, "A").answer.size() == 1);
    negative(f.q(std::string("kube-dns.kube-system") + Z, "A"), "NXDOMAIN");
    negative(f.q("kube-system.svc.cluster.local.", "A"), "NXDOMAIN");
    negative(f.q("10.0.96.10.in-addr.arpa.", "PTR"), "NXDOMAIN", "in-addr.arpa.");
  }
  SECTION("namespace_labels") {
    Fixture f("namespace_labels env in (prod, staging)\n");
    CHECK(f.q(std::string("api.staging") + Z, "A").answer.size() == 1);
    negative(f.q(std::string("kubernetes.default") + Z, "A"), "NXDOMAIN");
  }
  SECTION("labels") {
    Fixture f("labels app=web\n");
    CHECK(f.q(std::string("web.prod") + Z, "A").answer.size() == 1);
    CHECK(f.q("10-244-1-5.web.prod.svc.cluster.local.", "A").answer.size() == 1);
    negative(f.q(std::string("db.prod") + Z, "A"), "NXDOMAIN");
    negative(f.q(std::string("kube-dns.kube-system") + Z, "A"), "NXDOMAIN");
  }
  SECTION("noendpoints") {
    Fixture f("noendpoints\n");
    CHECK(f.q(std::string("web.prod") + Z, "A").answer.size() == 1);
    negative(f.q(std::string("db.prod") + Z, "A"), "NXDOMAIN");
    negative(f.q("10-244-1-5.web.prod.svc.cluster.local.", "A"), "NXDOMAIN");
    negative(f.q("5.1.244.10.in-addr.arpa.", "PTR"), "NXDOMAIN", "in-addr.arpa.");
  }
  SECTION("ignore empty_service") {
    Fixture f("ignore empty_service\n");
    negative(f.q(std::string("api.staging") + Z, "A"), "NXDOMAIN");
    CHECK(f.q(std::string("web.prod") + Z, "A").answer.size() == 1);
    CHECK(f.q(std::string("ext.prod") + Z, "A").answer.size() == 1);
  }
}

TEST_CASE("kubernetes: ttl", "[kubernetes]") {
  Fixture f("ttl 30\n");
  positive(f.q(std::string("web.prod") + Z, "A"),
           {rr(std::string("web.prod") + Z, "A", "10.96.10.10", 30)});
  auto n = f.q("nope.cluster.local.", "A");
  CHECK(n.authority == V{soa("cluster.local.", 30, 30)});
  Fixture g("ttl 600\n");
  CHECK(g.q("cluster.local.", "SOA").answer ==
        V{soa("cluster.local.", 300, 600)});  // SOA TTL caps at 300
  Fixture h("ttl 0\n");
  CHECK(h.q(std::string("web.prod") + Z, "A").answer ==
        V{rr(std::string("web.prod") + Z, "A", "10.96.10.10", 0)});
}
