// What kubernetes offers the plugins that work with it: autopath's search path of a pod
// (by its address, `pods verified`) and k8s_external's external services, from a state file
// with LoadBalancer ingresses, externalIPs and headless services.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "core/dns/constants.h"
#include "core/plugin/testing.h"
#include "plugins/kubernetes/cluster_store.h"
#include "plugins/kubernetes/kubernetes.h"
#include "plugins/kubernetes/state_file.h"
#include "plugins/kubernetes/test_util.h"
#include "plugins/pkg/resolv_conf.h"

using cxxdns::testing::ChainTest;
using namespace cxxdns::plugins::k8s;
namespace dns = cxxdns::dns;

namespace {

std::string fixture() {
  return k8stest::read_file(std::string(CXXDNS_TEST_DATA) + "/k8s/external.json");
}

std::string corefile(const std::string& path, const std::string& pods = "verified") {
  return ". {\n kubernetes cluster.local {\n  state " + path + "\n  pods " + pods + "\n }\n}\n";
}

Kubernetes& plugin(ChainTest& t) {
  return dynamic_cast<Kubernetes&>(*t.plugin("kubernetes"));
}

// A query context as a worker makes it: `name` A from `client`.
struct Asking {
  cxxdns::WorkerInfo worker;
  cxxdns::QueryContext ctx;
  Asking(const std::string& client, const std::string& name) {
    cxxdns::ClientAddress from;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&from.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&from.storage);
    if (inet_pton(AF_INET, client.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      from.len = sizeof(sockaddr_in);
    } else {
      REQUIRE(inet_pton(AF_INET6, client.c_str(), &v6->sin6_addr) == 1);
      v6->sin6_family = AF_INET6;
      from.len = sizeof(sockaddr_in6);
    }
    REQUIRE(ctx.load(cxxdns::testing::make_query(name, dns::type::A), cxxdns::Transport::udp,
                     from) == dns::QueryCheck::ok);
    ctx.bind(&worker, nullptr, nullptr);
  }
};

std::vector<std::string> search(ChainTest& t, const std::string& client, const std::string& name) {
  Asking a(client, name);
  std::vector<std::string> out;
  if (!plugin(t).search_path(a.ctx, out)) REQUIRE(out.empty());
  return out;
}

// The external services of `rel`, as "host port target" lines, and the rcode.
struct External {
  uint8_t rcode = 0;
  std::vector<std::string> services;
};

External external(ChainTest& t, const std::string& rel, bool headless = false) {
  Asking a("10.1.0.50", "example.org.");
  std::vector<cxxdns::pkg::ExternalService> out;
  External e;
  e.rcode = plugin(t).external(a.ctx, rel, headless, out);
  for (auto& s : out) {
    e.services.push_back((s.is_ip ? s.ip.text() : s.hostname) + " " + std::to_string(s.port) + " " +
                         s.target);
  }
  return e;
}

std::vector<std::string> node_search() {
  std::vector<std::string> out;
  std::string err;
  if (!cxxdns::pkg::read_search_list("/etc/resolv.conf", out, err)) out.clear();
  return out;
}

std::vector<std::string> with_node(std::vector<std::string> cluster) {
  auto node = node_search();
  cluster.insert(cluster.end(), node.begin(), node.end());
  cluster.emplace_back();
  return cluster;
}

}  // namespace

TEST_CASE("kubernetes state: externalIPs, then load balancer ingresses (ip, else hostname)",
          "[kubernetes]") {
  ClusterState st;
  std::string err;
  REQUIRE(parse_state(fixture(), st, err));
  auto svc = [&](const std::string& name) {
    return *std::find_if(st.services.begin(), st.services.end(),
                         [&](auto& s) { return s.name == name; });
  };
  CHECK(svc("lb").external == std::vector<std::string>{"203.0.113.10", "lb-1.elb.example.com"});
  CHECK(svc("ext1").external == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
  CHECK(svc("plain").external.empty());
}

TEST_CASE("kubernetes: a pod's search path, with the node's search list", "[kubernetes]") {
  k8stest::TempState s(fixture());
  ChainTest t(corefile(s.path));
  CHECK(search(t, "10.1.0.50", "www.example.com.default.svc.cluster.local.") ==
        with_node({"default.svc.cluster.local.", "svc.cluster.local.", "cluster.local."}));
  CHECK(search(t, "10.1.0.5", "x.prod.svc.cluster.local.") ==
        with_node({"prod.svc.cluster.local.", "svc.cluster.local.", "cluster.local."}));
  // Not a pod, not a cluster name: none.
  CHECK(search(t, "10.9.9.9", "x.default.svc.cluster.local.").empty());
  CHECK(search(t, "10.1.0.50", "www.example.com.").empty());
}

TEST_CASE("kubernetes: no search path without pods verified", "[kubernetes]") {
  k8stest::TempState s(fixture());
  ChainTest t(corefile(s.path, "insecure"));
  CHECK(search(t, "10.1.0.50", "x.default.svc.cluster.local.").empty());
}

TEST_CASE(
    "kubernetes: pods sharing an address (host network) give one namespace, and the other "
    "once the first goes",
    "[kubernetes]") {
  k8stest::TempState s(fixture());
  ChainTest t(corefile(s.path));
  auto first = search(t, "172.18.0.2", "x.svc.cluster.local.");
  REQUIRE(!first.empty());
  CHECK(first[0] == "kube-system.svc.cluster.local.");
  // kube-proxy's pod goes: the address now names the other pod's namespace.
  std::string text = fixture();
  const size_t at = text.find(R"({"kind": "Pod", "metadata": {"name": "kube-proxy-node1")");
  REQUIRE(at != std::string::npos);
  const size_t end = text.find("}},", text.find("podIPs", at)) + 3;
  text.erase(at, end - at);
  s.write(text, k8stest::kSerial + 10);
  REQUIRE(plugin(t).reload_if_changed());
  auto second = search(t, "172.18.0.2", "x.svc.cluster.local.");
  REQUIRE(!second.empty());
  CHECK(second[0] == "prod.svc.cluster.local.");
}

TEST_CASE("kubernetes: external services of LoadBalancer and externalIPs services",
          "[kubernetes]") {
  k8stest::TempState s(fixture());
  ChainTest t(corefile(s.path));
  auto lb = external(t, "lb.prod");
  CHECK(lb.rcode == dns::rcode::NOERROR);
  CHECK(lb.services == std::vector<std::string>{"203.0.113.10 80 lb.prod",
                                                "203.0.113.10 443 lb.prod",
                                                "lb-1.elb.example.com. 80 lb.prod",
                                                "lb-1.elb.example.com. 443 lb.prod"});
  CHECK(external(t, "_https._tcp.lb.prod").services ==
        std::vector<std::string>{"203.0.113.10 443 lb.prod", "lb-1.elb.example.com. 443 lb.prod"});
  CHECK(external(t, "_http._udp.lb.prod").rcode == dns::rcode::NXDOMAIN);
  CHECK(external(t, "ext1.prod").services ==
        std::vector<std::string>{"192.0.2.1 80 ext1.prod", "2001:db8::1 80 ext1.prod"});
  // CoreDNS's quirk: without `headless` an endpoint label is ignored.
  CHECK(external(t, "anything.ext1.prod").services.size() == 2);
  // No external address, no such service, too long: NXDOMAIN; the namespace alone: NODATA.
  CHECK(external(t, "plain.prod").rcode == dns::rcode::NXDOMAIN);
  CHECK(external(t, "nope.prod").rcode == dns::rcode::NXDOMAIN);
  CHECK(external(t, "lb.nons").rcode == dns::rcode::NXDOMAIN);
  CHECK(external(t, "a.b.c.lb.prod").rcode == dns::rcode::NXDOMAIN);
  auto ns = external(t, "prod");
  CHECK(ns.rcode == dns::rcode::NOERROR);
  CHECK(ns.services.empty());
}

TEST_CASE("kubernetes: external services of headless services with `headless`", "[kubernetes]") {
  k8stest::TempState s(fixture());
  ChainTest t(corefile(s.path));
  CHECK(external(t, "hl.prod").rcode == dns::rcode::NXDOMAIN);  // not without it
  CHECK(external(t, "hl.prod", true).services ==
        std::vector<std::string>{"10.1.0.5 8080 web-0.hl.prod", "10.1.0.6 8080 10-1-0-6.hl.prod"});
  CHECK(external(t, "web-0.hl.prod", true).services ==
        std::vector<std::string>{"10.1.0.5 8080 web-0.hl.prod"});
  CHECK(external(t, "_http._tcp.hl.prod", true).services.size() == 2);
  CHECK(external(t, "web-9.hl.prod", true).rcode == dns::rcode::NXDOMAIN);
  // An endpoint of a service with a cluster IP, asked by its name.
  CHECK(external(t, "p-0.plain.prod", true).services ==
        std::vector<std::string>{"10.1.0.7 80 p-0.plain.prod"});
  CHECK(external(t, "plain.prod", true).rcode == dns::rcode::NXDOMAIN);
}

TEST_CASE("kubernetes: the services of an external address", "[kubernetes]") {
  k8stest::TempState s(fixture());
  ChainTest t(corefile(s.path));
  Asking a("10.1.0.50", "example.org.");
  std::vector<std::string> out;
  plugin(t).external_reverse(a.ctx, *cxxdns::pkg::IpAddress::parse("192.0.2.1"), out);
  CHECK(out == std::vector<std::string>{"ext1.prod", "shared.default"});
  plugin(t).external_reverse(a.ctx, *cxxdns::pkg::IpAddress::parse("2001:db8::1"), out);
  CHECK(out == std::vector<std::string>{"ext1.prod"});
  plugin(t).external_reverse(a.ctx, *cxxdns::pkg::IpAddress::parse("203.0.113.10"), out);
  CHECK(out == std::vector<std::string>{"lb.prod"});
  plugin(t).external_reverse(a.ctx, *cxxdns::pkg::IpAddress::parse("10.96.0.20"), out);
  CHECK(out.empty());
  CHECK(plugin(t).external_serial(a.ctx) == k8stest::kSerial);
}

TEST_CASE("kubernetes store: external views change with their service, per object",
          "[kubernetes]") {
  IndexOptions o;
  ClusterStore store(o);
  Garbage g;
  ClusterState ns;
  ns.namespaces.push_back({"prod", {}});
  store.apply("Namespace", "prod", ns);
  ClusterState svc;
  Service s;
  s.ns = "prod";
  s.name = "lb";
  s.cluster_ips = {"10.96.0.20"};
  s.ports = {Port{"http", "TCP", 80}};
  s.external = {"203.0.113.10"};
  svc.services.push_back(s);
  store.apply("Service", "prod/lb", svc);
  const ClusterIndex* x = store.commit(1, g);
  REQUIRE(x->external("lb.prod"));
  CHECK(x->external("lb.prod")->hosts.size() == 1);
  IpKey ip;
  REQUIRE(parse_ip("203.0.113.10", ip));
  CHECK(x->external_reverse(ip).size() == 1);
  // A new ingress address: the old one's reverse goes, the new one's comes.
  svc.services[0].external = {"203.0.113.11"};
  store.apply("Service", "prod/lb", svc);
  x = store.commit(2, g);
  CHECK(x->external_reverse(ip).empty());
  IpKey ip2;
  REQUIRE(parse_ip("203.0.113.11", ip2));
  CHECK(x->external_reverse(ip2).size() == 1);
  // Without external addresses (and not headless) the service has no view.
  svc.services[0].external.clear();
  store.apply("Service", "prod/lb", svc);
  x = store.commit(3, g);
  CHECK(x->external("lb.prod") == nullptr);
  CHECK(x->external_reverse(ip2).empty());
  // The cluster names were rebuilt all along.
  CHECK(x->find_name("lb.prod.svc") != nullptr);
  g.free_all();
}
