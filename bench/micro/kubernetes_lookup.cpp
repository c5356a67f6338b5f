// The kubernetes plugin answering from a cluster of 5,000 services (50 namespaces of 100,
// each with an EndpointSlice of two ready endpoints), as a pod's lookups reach it: a
// service's A record, and a search-list candidate that does not exist (NXDOMAIN with SOA).
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/micro/micro.h"
#include "test/support/allocation_count.h"

using cxxdns::testing::ChainRunner;
using cxxdns::testing::ChainTest;
using micro::query;
using nlohmann::json;

namespace {

constexpr int kNamespaces = 50;
constexpr int kServicesPerNamespace = 100;

std::string cluster_ip(int n) {  // 10.96.0.0/12, from 10.96.1.0 on
  n += 256;
  return "10." + std::to_string(96 + (n >> 16)) + "." + std::to_string((n >> 8) & 255) + "." +
         std::to_string(n & 255);
}

json cluster() {
  json items = json::array();
  int n = 0;
  for (int ns = 0; ns < kNamespaces; ++ns) {
    std::string nsname = "ns-" + std::to_string(ns);
    items.push_back({{"kind", "Namespace"}, {"metadata", {{"name", nsname}}}});
    for (int s = 0; s < kServicesPerNamespace; ++s, ++n) {
      std::string name = "svc-" + std::to_string(s);
      items.push_back({{"kind", "Service"},
                       {"metadata", {{"name", name}, {"namespace", nsname}}},
                       {"spec",
                        {{"type", "ClusterIP"},
                         {"clusterIP", cluster_ip(n)},
                         {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}}});
      json endpoints = json::array();
      for (int e = 0; e < 2; ++e) {
        int pod = n * 2 + e;
        endpoints.push_back(
            {{"addresses",
              {"10.244." + std::to_string(pod >> 8) + "." + std::to_string(pod & 255)}},
             {"conditions", {{"ready", true}}}});
      }
      items.push_back({{"kind", "EndpointSlice"},
                       {"apiVersion", "discovery.k8s.io/v1"},
                       {"metadata",
                        {{"name", name + "-abcde"},
                         {"namespace", nsname},
                         {"labels", {{"kubernetes.io/service-name", name}}}}},
                       {"addressType", "IPv4"},
                       {"endpoints", endpoints},
                       {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}}});
    }
  }
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}};
}

struct StateFile {
  std::string path;
  StateFile() {
    char tmpl[] = "/tmp/cxxdns-micro-k8s-XXXXXX.json";
    int fd = mkstemps(tmpl, 5);
    if (fd < 0) throw std::runtime_error("mkstemps");
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << cluster().dump();
  }
  ~StateFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("kubernetes lookup", "[micro]") {
  StateFile state;
  ChainTest t("cluster.local {\n    kubernetes cluster.local {\n        state " + state.path +
              "\n        pods insecure\n    }\n}\n");
  ChainRunner r(&t.config().blocks.at(0)->chain);

  // The 5,000th service: svc-99 in ns-49.
  const auto hit = query("svc-99.ns-49.svc.cluster.local.");
  r.run(hit);
  REQUIRE(r.delivered == 1);
  auto a = cxxdns::testing::parse_answer(r.ctx().response());
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.answer.size() == 1);
  REQUIRE(a.answer[0].find(cluster_ip(4999)) != std::string::npos);

  // What ndots:5 makes a pod in ns-3 ask first for "svc-7.ns-2".
  const auto candidate = query("svc-7.ns-2.ns-3.svc.cluster.local.");
  r.run(candidate);
  a = cxxdns::testing::parse_answer(r.ctx().response());
  REQUIRE(a.rcode == "NXDOMAIN");
  REQUIRE(a.authority.size() == 1);

  std::cout << "heap allocations on a kubernetes service lookup: "
            << cxxdns::testing::count_allocations([&] { r.run(hit); }) << "\n";

  BENCHMARK("kubernetes: service A (5,000 services)") {
    r.run(hit);
    return r.last_size;
  };
  BENCHMARK("kubernetes: NXDOMAIN search-list candidate") {
    r.run(candidate);
    return r.last_size;
  };
}
