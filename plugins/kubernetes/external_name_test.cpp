// kubernetes: ExternalName services answered as CoreDNS answers them (its handler_test's
// "CNAME External" cases): the CNAME and the target's records looked up through the chain,
// NODATA for SRV, a target in the cluster followed, loops ended; and ns.dns.ZONE.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/plugin/testing.h"
#include "plugins/kubernetes/test_util.h"

using cxxdns::testing::Answer;
using cxxdns::testing::ChainTest;
using k8stest::soa;
using k8stest::sorted;
using nlohmann::json;
using V = std::vector<std::string>;

namespace {

const std::string kExt = "ext.prod.svc.cluster.local.";

// hosts answers the external target (CoreDNS: whatever plugin of the server answers it).
std::string corefile(const std::string& path) {
  return ". {\n hosts {\n  192.0.2.7 db.example.com\n  2001:db8::7 db.example.com\n"
         "  fallthrough\n }\n kubernetes cluster.local {\n  state " +
         path + "\n }\n}\n";
}

// The fixture with prod/ext pointing at `target`, and `more` ExternalName services (name,
// target) added to prod.
std::string state_with(const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& more = {}) {
  json j = json::parse(k8stest::read_file(std::string(CXXDNS_TEST_DATA) + "/k8s/cluster.json"));
  json ext;
  for (auto& item : j["items"]) {
    if (item["kind"] == "Service" && item["metadata"]["name"] == "ext") {
      item["spec"]["externalName"] = target;
      ext = item;
    }
  }
  for (const auto& [name, to] : more) {
    json s = ext;
    s["metadata"]["name"] = name;
    s["metadata"]["uid"] = "uid-" + name;
    s["spec"]["externalName"] = to;
    j["items"].push_back(s);
  }
  return j.dump();
}

std::string rr(const std::string& name, const char* type, const std::string& data, int ttl = 5) {
  return name + "\t" + std::to_string(ttl) + "\tIN\t" + type + "\t" + data;
}

}  // namespace

TEST_CASE("kubernetes: ExternalName A and AAAA carry the target's records", "[kubernetes]") {
  k8stest::TempState state;
  ChainTest t(corefile(state.path));
  Answer a = t.query(kExt, "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK((a.flags & 0x0080) == 0);  // no RA, as CoreDNS
  // The CNAME first (clients follow the chain in order), then the target's address.
  CHECK(a.answer ==
        V{rr(kExt, "CNAME", "db.example.com."), rr("db.example.com.", "A", "192.0.2.7", 3600)});
  Answer aaaa = t.query(kExt, "AAAA");
  CHECK(aaaa.answer == V{rr(kExt, "CNAME", "db.example.com."),
                         rr("db.example.com.", "AAAA", "2001:db8::7", 3600)});
}

TEST_CASE("kubernetes: ExternalName CNAME query is the CNAME alone", "[kubernetes]") {
  k8stest::TempState state;
  ChainTest t(corefile(state.path));
  CHECK(t.query(kExt, "CNAME").answer == V{rr(kExt, "CNAME", "db.example.com.")});
}

TEST_CASE("kubernetes: ExternalName SRV is NODATA, as CoreDNS", "[kubernetes]") {
  k8stest::TempState state;
  ChainTest t(corefile(state.path));
  Answer a = t.query(kExt, "SRV");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.empty());
  CHECK(a.authority == V{soa()});
}

TEST_CASE("kubernetes: ExternalName whose target nobody answers keeps the CNAME", "[kubernetes]") {
  k8stest::TempState state(state_with("nowhere.example.net"));
  ChainTest t(corefile(state.path));
  Answer a = t.query(kExt, "A");
  CHECK(a.rcode == "NOERROR");  // CoreDNS: the CNAME and whatever came back
  CHECK(a.answer == V{rr(kExt, "CNAME", "nowhere.example.net.")});
}

TEST_CASE("kubernetes: ExternalName to a cluster service follows it", "[kubernetes]") {
  k8stest::TempState state(state_with("web.prod.svc.cluster.local"));
  ChainTest t(corefile(state.path));
  Answer a = t.query(kExt, "A");
  CHECK(a.answer == V{rr(kExt, "CNAME", "web.prod.svc.cluster.local."),
                      rr("web.prod.svc.cluster.local.", "A", "10.96.10.10")});
  // A cluster name without records: NODATA, the CNAME left out (CoreDNS's plugin.A).
  k8stest::TempState missing(state_with("nothere.prod.svc.cluster.local"));
  ChainTest t2(corefile(missing.path));
  Answer m = t2.query(kExt, "A");
  CHECK(m.rcode == "NOERROR");
  CHECK(m.answer.empty());
  CHECK(m.authority == V{soa()});
}

TEST_CASE("kubernetes: ExternalName loops end in NODATA", "[kubernetes]") {
  SECTION("a service naming itself") {
    k8stest::TempState state(state_with("ext.prod.svc.cluster.local"));
    ChainTest t(corefile(state.path));
    Answer a = t.query(kExt, "A");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.empty());
  }
  SECTION("two services naming each other") {
    k8stest::TempState state(
        state_with("ext2.prod.svc.cluster.local", {{"ext2", "ext.prod.svc.cluster.local"}}));
    ChainTest t(corefile(state.path));
    Answer a = t.query(kExt, "A");
    REQUIRE(a.answered);
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.empty());
    CHECK(a.authority == V{soa()});
  }
}

TEST_CASE("kubernetes: ns.dns.ZONE is answered, NODATA without an address", "[kubernetes]") {
  k8stest::TempState state;
  // bind on loopback only: no address of this server to give (loopback is left out).
  ChainTest t(". {\n bind 127.0.0.1\n kubernetes cluster.local {\n  state " + state.path +
              "\n }\n}\n");
  Answer a = t.query("ns.dns.cluster.local.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.empty());
  CHECK(a.authority == V{soa()});
  CHECK(t.query("ns.dns.cluster.local.", "TXT").rcode == "NOERROR");
  // Its own address when it has one.
  ChainTest with(". {\n bind 192.0.2.53\n kubernetes cluster.local {\n  state " + state.path +
                 "\n }\n}\n");
  CHECK(with.query("ns.dns.cluster.local.", "A").answer ==
        V{rr("ns.dns.cluster.local.", "A", "192.0.2.53")});
  CHECK(with.query("ns.dns.cluster.local.", "AAAA").answer.empty());
}
