// kubernetes: reading the state file (both endpoint kinds, bad files reported with their
// position) and watching it (a changed file swapped in whole, a broken one ignored).
#include <catch2/catch.hpp>

#include <unistd.h>

#include "core/plugin/testing.h"
#include "plugins/kubernetes/kubernetes.h"
#include "plugins/kubernetes/state_file.h"
#include "plugins/kubernetes/test_util.h"

using cxxdns::testing::ChainTest;
using namespace cxxdns::plugins::k8s;

namespace {

std::string corefile(const std::string& path) {
  return "cluster.local {\n kubernetes {\n  state " + path + "\n }\n}\n";
}

Kubernetes& plugin(ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (auto* k = dynamic_cast<Kubernetes*>(p)) return *k;
  }
  throw std::runtime_error("no kubernetes plugin");
}

const char* kSmall = R"({"apiVersion": "v1", "kind": "List", "items": [
  {"kind": "Namespace", "metadata": {"name": "ns1"}},
  {"kind": "Service", "metadata": {"name": "a", "namespace": "ns1"},
   "spec": {"clusterIP": "10.0.0.1", "ports": [{"name": "http", "port": 80}]}}
]})";

}  // namespace

TEST_CASE("kubernetes state: the fixture's objects", "[kubernetes]") {
  ClusterState st;
  std::string err;
  REQUIRE(parse_state(k8stest::read_file(std::string(CXXDNS_TEST_DATA) + "/k8s/cluster.json"), st,
                      err));
  CHECK(st.namespaces.size() == 4);
  CHECK(st.services.size() == 8);
  CHECK(st.pods.size() == 7);
  // EndpointSlices and the v1 Endpoints subset, each one set.
  CHECK(st.endpoints.size() == 6);
  auto web =
      std::find_if(st.services.begin(), st.services.end(), [](auto& s) { return s.name == "web"; });
  REQUIRE(web != st.services.end());
  CHECK(web->cluster_ips == std::vector<std::string>{"10.96.10.10", "fd00:10:96::a"});
  CHECK(web->ports.size() == 2);
  CHECK(web->ports[1].name.empty());
  auto ext =
      std::find_if(st.services.begin(), st.services.end(), [](auto& s) { return s.name == "ext"; });
  CHECK(ext->external_name == "db.example.com");
}

TEST_CASE("kubernetes state: endpoint readiness, slices over Endpoints", "[kubernetes]") {
  // A slice endpoint without conditions.ready is ready; ready=false is not.
  const char* text = R"({"kind": "List", "items": [
    {"kind": "Namespace", "metadata": {"name": "n"}},
    {"kind": "Service", "metadata": {"name": "h", "namespace": "n"}, "spec": {"clusterIP": "None"}},
    {"kind": "EndpointSlice", "metadata": {"name": "h-1", "namespace": "n",
      "labels": {"kubernetes.io/service-name": "h"}}, "addressType": "IPv4",
     "endpoints": [{"addresses": ["10.1.0.1"]}, {"addresses": ["10.1.0.2"], "conditions": {"ready": false}},
                   {"addresses": ["10.1.0.3"], "conditions": {}}]},
    {"kind": "Endpoints", "metadata": {"name": "h", "namespace": "n"},
     "subsets": [{"addresses": [{"ip": "10.9.9.9"}]}]}
  ]})";
  k8stest::TempState state(text);
  ChainTest t(corefile(state.path));
  auto a = t.query("h.n.svc.cluster.local.", "A");
  CHECK(k8stest::sorted(a.answer) ==
        std::vector<std::string>{"h.n.svc.cluster.local.\t5\tIN\tA\t10.1.0.1",
                                 "h.n.svc.cluster.local.\t5\tIN\tA\t10.1.0.3"});
}

TEST_CASE("kubernetes state: bad files report their position", "[kubernetes]") {
  ClusterState st;
  std::string err;
  CHECK_FALSE(parse_state("{\n  \"items\": [\n    {\"kind\": \"Service\",,}\n  ]\n}\n", st, err));
  CHECK(err.find("line 3, column 24") != std::string::npos);
  CHECK(err.find("(byte ") != std::string::npos);
  CHECK_FALSE(parse_state("[1, 2]", st, err));
  CHECK(err.find("not a JSON object") != std::string::npos);
  CHECK_FALSE(parse_state(R"({"items": {"kind": "Service"}})", st, err));
  CHECK(err.find("items is not an array") != std::string::npos);
  CHECK_FALSE(
      parse_state(R"({"items": [{"kind": "Service", "metadata": {"name": "x", "namespace": "y"},
                              "spec": {"ports": [{"name": "p", "port": "80"}]}}]})",
                  st, err));
  CHECK(err == "items[0] (Service y/x): a port without a numeric port");
  CHECK_FALSE(parse_state("", st, err));
}

TEST_CASE("kubernetes state: a changed file is swapped in, a broken one ignored", "[kubernetes]") {
  k8stest::TempState state(kSmall);
  ChainTest t(corefile(state.path));
  auto& k = plugin(t);
  REQUIRE(k.ready());
  CHECK(t.query("a.ns1.svc.cluster.local.", "A").answer ==
        std::vector<std::string>{"a.ns1.svc.cluster.local.\t5\tIN\tA\t10.0.0.1"});

  std::string changed = kSmall;
  changed.replace(changed.find("10.0.0.1"), 8, "10.0.0.2");
  state.write(changed, k8stest::kSerial + 10);
  t.run_for(std::chrono::milliseconds(1300));  // the watch timer checks every second
  CHECK(t.query("a.ns1.svc.cluster.local.", "A").answer ==
        std::vector<std::string>{"a.ns1.svc.cluster.local.\t5\tIN\tA\t10.0.0.2"});
  CHECK(t.query("cluster.local.", "SOA").answer[0].find(std::to_string(k8stest::kSerial + 10)) !=
        std::string::npos);

  state.write("{\"items\": [", k8stest::kSerial + 20);
  CHECK_FALSE(k.reload_if_changed());
  CHECK(t.query("a.ns1.svc.cluster.local.", "A").answer ==
        std::vector<std::string>{"a.ns1.svc.cluster.local.\t5\tIN\tA\t10.0.0.2"});
  CHECK(k.ready());
  state.write(kSmall, k8stest::kSerial + 30);
  CHECK(k.reload_if_changed());
  CHECK(t.query("a.ns1.svc.cluster.local.", "A").answer ==
        std::vector<std::string>{"a.ns1.svc.cluster.local.\t5\tIN\tA\t10.0.0.1"});
}

TEST_CASE("kubernetes state: not ready and SERVFAIL until a good state", "[kubernetes]") {
  k8stest::TempState state("{ broken");
  ChainTest t(corefile(state.path));
  auto& k = plugin(t);
  CHECK_FALSE(k.ready());
  CHECK(t.query("a.ns1.svc.cluster.local.", "A").rcode == "SERVFAIL");
  state.write(kSmall, k8stest::kSerial + 1);
  CHECK(k.reload_if_changed());
  CHECK(k.ready());
  CHECK(t.query("a.ns1.svc.cluster.local.", "A").rcode == "NOERROR");
}
