// kubernetes as a Transferer: the transfer plugin's AXFR of the cluster zone.
#include <catch2/catch.hpp>

#include "core/plugin/testing.h"
#include "plugins/kubernetes/test_util.h"

using cxxdns::testing::ChainTest;

TEST_CASE("kubernetes: the cluster zone by AXFR through the transfer plugin", "[kubernetes]") {
  k8stest::TempState state;
  ChainTest t(
      ". {\n  transfer cluster.local {\n    to *\n  }\n  kubernetes cluster.local "
      "in-addr.arpa {\n    state " +
      state.path + "\n  }\n}\n");
  cxxdns::testing::QueryOptions o;
  o.tcp = true;
  auto a = t.query("cluster.local.", "AXFR", o);
  REQUIRE(a.rcode == "NOERROR");
  std::vector<std::string> all;
  for (auto& p : a.partials) all.insert(all.end(), p.answer.begin(), p.answer.end());
  all.insert(all.end(), a.answer.begin(), a.answer.end());
  REQUIRE(all.size() > 10);
  CHECK(all.front() == k8stest::soa());
  CHECK(all.back() == k8stest::soa());
  CHECK(all[1] == "cluster.local.\t5\tIN\tNS\tns.dns.cluster.local.");
  auto has = [&](const std::string& line) {
    return std::find(all.begin(), all.end(), line) != all.end();
  };
  CHECK(has("web.prod.svc.cluster.local.\t5\tIN\tA\t10.96.10.10"));
  CHECK(has(
      "_http._tcp.web.prod.svc.cluster.local.\t5\tIN\tSRV\t0 50 80 web.prod.svc.cluster.local."));
  // What a query for a name answers, the transfer holds.
  auto q = t.query("api.staging.svc.cluster.local.", "A");
  REQUIRE(q.answer.size() == 1);
  CHECK(has(q.answer[0]));
  // Up to date: the SOA alone. Reverse zones are not transferred.
  CHECK(t.query("in-addr.arpa.", "AXFR", o).rcode != "NOERROR");
}
