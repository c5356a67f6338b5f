// kubernetes: applying ADDED/MODIFIED/DELETED objects to the index one at a time
// (ClusterStore), as the API source does: each change shows in the next version and only
// there, older versions stay as they were for the readers still on them, and whatever the
// order of the events the index ends equal to one built whole from the final objects.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "plugins/kubernetes/cluster_store.h"
#include "plugins/kubernetes/published.h"
#include "plugins/kubernetes/state_file.h"

using namespace cxxdns::plugins::k8s;
using nlohmann::json;

namespace {

json service(const std::string& ns, const std::string& name, const std::string& ip,
             json ports = json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}})) {
  return {{"metadata", {{"namespace", ns}, {"name", name}}},
          {"spec", {{"clusterIP", ip}, {"ports", ports}}}};
}

json slice(const std::string& ns, const std::string& svc, const std::string& name,
           const std::vector<std::string>& ips, bool ready = true) {
  json eps = json::array();
  for (auto& ip : ips) eps.push_back({{"addresses", {ip}}, {"conditions", {{"ready", ready}}}});
  return {{"metadata",
           {{"namespace", ns}, {"name", name}, {"labels", {{"kubernetes.io/service-name", svc}}}}},
          {"addressType", "IPv4"},
          {"endpoints", eps},
          {"ports", json::array({{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}})}};
}

json pod(const std::string& ns, const std::string& name, const std::string& ip) {
  return {{"metadata", {{"namespace", ns}, {"name", name}}},
          {"status", {{"podIP", ip}, {"podIPs", {{{"ip", ip}}}}}}};
}

json namespace_obj(const std::string& name) {
  return {{"metadata", {{"name", name}}}};
}

std::string key_of(const json& obj) {
  auto& m = obj["metadata"];
  return (m.contains("namespace") ? m["namespace"].get<std::string>() : "") + "/" +
         m["name"].get<std::string>();
}

// The store as the API source drives it, with a committed version after each step.
struct Cluster {
  IndexOptions opts;
  std::unique_ptr<ClusterStore> store;
  const ClusterIndex* x = nullptr;
  Garbage garbage;  // kept until the test ends: old versions stay readable
  explicit Cluster(IndexOptions o = {}) : opts(std::move(o)) {
    store = std::make_unique<ClusterStore>(opts);
  }
  ~Cluster() {
    store.reset();
    garbage.free_all();
  }
  void put(const char* kind, const json& obj) {
    ClusterState frag;
    std::string err;
    REQUIRE(parse_object(obj, kind, frag, err));
    store->apply(kind, key_of(obj), frag);
  }
  void del(const char* kind, const std::string& key) { store->remove(kind, key); }
  const ClusterIndex* commit() { return x = store->commit(1, garbage); }

  static std::vector<std::string> a(const ClusterIndex* v, const std::string& rel) {
    std::vector<std::string> out;
    const NameData* d = v->find_name(rel);
    if (!d) return {"NXDOMAIN"};
    for (auto& ip : d->a()) {
      out.push_back(std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." +
                    std::to_string(ip[2]) + "." + std::to_string(ip[3]));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> a(const std::string& rel) const { return a(x, rel); }
  std::vector<std::string> ptr(const std::string& rev) const {
    std::vector<std::string> out;
    for (auto& n : x->find_ptr(rev)) out.push_back(std::string(n.name()) + ".cluster.local.");
    std::sort(out.begin(), out.end());
    return out;
  }
};

using V = std::vector<std::string>;
const V kNx{"NXDOMAIN"};

}  // namespace

TEST_CASE("kubernetes events: added, modified, deleted service", "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("default"));
  c.put("Service", service("default", "web", "10.96.0.10"));
  c.commit();
  const ClusterIndex* v1 = c.x;
  CHECK(c.a("web.default.svc") == V{"10.96.0.10"});
  CHECK(c.a("_http._tcp.web.default.svc") == V{"10.96.0.10"});
  CHECK(c.ptr("10.0.96.10.in-addr.arpa.") == V{"web.default.svc.cluster.local."});

  c.put("Service", service("default", "web", "10.96.0.11"));
  c.commit();
  CHECK(c.a("web.default.svc") == V{"10.96.0.11"});
  CHECK(c.ptr("10.0.96.10.in-addr.arpa.").empty());
  CHECK(c.ptr("11.0.96.10.in-addr.arpa.") == V{"web.default.svc.cluster.local."});
  // The version before is untouched: a reader still on it sees what it saw.
  CHECK(Cluster::a(v1, "web.default.svc") == V{"10.96.0.10"});

  c.del("Service", "default/web");
  c.commit();
  CHECK(c.a("web.default.svc") == kNx);
  CHECK(c.a("_http._tcp.web.default.svc") == kNx);
  CHECK(c.ptr("11.0.96.10.in-addr.arpa.").empty());
  CHECK(c.x->find_name("default.svc"));  // the namespace stays
}

TEST_CASE("kubernetes events: a service moves between headless and ClusterIP", "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("ns"));
  c.put("Service", service("ns", "db", "None"));
  c.put("EndpointSlice", slice("ns", "db", "db-1", {"10.244.0.1", "10.244.0.2"}));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.244.0.1", "10.244.0.2"});
  CHECK(c.ptr("1.0.244.10.in-addr.arpa.") == V{"10-244-0-1.db.ns.svc.cluster.local."});

  c.put("Service", service("ns", "db", "10.96.5.5"));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.96.5.5"});
  CHECK(c.a("10-244-0-1.db.ns.svc") == V{"10.244.0.1"});  // endpoints keep their names
  CHECK(c.ptr("5.5.96.10.in-addr.arpa.") == V{"db.ns.svc.cluster.local."});

  c.put("Service", service("ns", "db", "None"));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.244.0.1", "10.244.0.2"});
  CHECK(c.ptr("5.5.96.10.in-addr.arpa.").empty());
}

TEST_CASE("kubernetes events: a service's endpoints in two slices, moving between them",
          "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("ns"));
  c.put("Service", service("ns", "db", "None"));
  c.put("EndpointSlice", slice("ns", "db", "db-a", {"10.244.0.1", "10.244.0.2"}));
  c.put("EndpointSlice", slice("ns", "db", "db-b", {"10.244.0.3"}));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.244.0.1", "10.244.0.2", "10.244.0.3"});
  auto srv = c.x->find_name("_http._tcp.db.ns.svc");
  REQUIRE(srv);
  CHECK(srv->srv().size() == 3);

  // 10.244.0.2 moves from db-a to db-b: removed from one, then added to the other.
  c.put("EndpointSlice", slice("ns", "db", "db-a", {"10.244.0.1"}));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.244.0.1", "10.244.0.3"});
  CHECK(c.a("10-244-0-2.db.ns.svc") == kNx);
  c.put("EndpointSlice", slice("ns", "db", "db-b", {"10.244.0.3", "10.244.0.2"}));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.244.0.1", "10.244.0.2", "10.244.0.3"});
  CHECK(c.a("10-244-0-2.db.ns.svc") == V{"10.244.0.2"});

  // Both at once (one burst, one version): the address is in both slices for a moment.
  c.put("EndpointSlice", slice("ns", "db", "db-a", {"10.244.0.1", "10.244.0.3"}));
  c.put("EndpointSlice", slice("ns", "db", "db-b", {"10.244.0.3"}));
  c.commit();
  CHECK(c.a("db.ns.svc") == V{"10.244.0.1", "10.244.0.3"});
  CHECK(c.x->find_name("_http._tcp.db.ns.svc")->srv().size() == 2);  // duplicates merged

  c.del("EndpointSlice", "ns/db-a");
  c.put("EndpointSlice", slice("ns", "db", "db-b", {"10.244.0.3"}, false));  // not ready
  c.commit();
  CHECK(c.a("db.ns.svc") == kNx);  // a headless service without ready endpoints
}

TEST_CASE("kubernetes events: a name's records stop at 65,535", "[kubernetes]") {
  // A name's runs are 16-bit: a headless service with 70,000 ready endpoints (in 70
  // slices) has 65,535 of them on its own name, not 70,000 modulo 65,536; each endpoint's
  // own name keeps its address.
  Cluster c;
  c.put("Namespace", namespace_obj("ns"));
  c.put("Service", service("ns", "big", "None"));
  for (int s = 0; s < 70; ++s) {
    std::vector<std::string> ips;
    for (int i = 0; i < 1000; ++i) {
      int n = s * 1000 + i;
      ips.push_back("10." + std::to_string(1 + n / 65536) + "." + std::to_string(n / 256 % 256) +
                    "." + std::to_string(n % 256));
    }
    c.put("EndpointSlice", slice("ns", "big", "big-" + std::to_string(s), ips));
  }
  c.commit();
  const NameData* d = c.x->find_name("big.ns.svc");
  REQUIRE(d);
  CHECK(d->a().size() == 65535);
  CHECK(d->srv().size() == 65535);
  CHECK(c.a("10-2-17-111.big.ns.svc") == V{"10.2.17.111"});  // the 70,000th endpoint
}

TEST_CASE("kubernetes events: a namespace deleted, and back", "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("a"));
  c.put("Namespace", namespace_obj("b"));
  c.put("Service", service("a", "web", "10.96.0.1"));
  c.put("Service", service("b", "web", "10.96.0.2"));
  c.commit();
  CHECK(c.a("web.a.svc") == V{"10.96.0.1"});

  c.del("Namespace", "/a");
  c.commit();
  CHECK(c.a("web.a.svc") == kNx);
  CHECK(c.x->find_name("a.svc") == nullptr);
  CHECK(c.ptr("1.0.96.10.in-addr.arpa.").empty());
  CHECK(c.a("web.b.svc") == V{"10.96.0.2"});

  c.put("Namespace", namespace_obj("a"));  // its services were never deleted: they return
  c.commit();
  CHECK(c.a("web.a.svc") == V{"10.96.0.1"});

  // A service that came before its namespace appears with it.
  c.put("Service", service("late", "x", "10.96.0.3"));
  c.commit();
  CHECK(c.a("x.late.svc") == kNx);
  c.put("Namespace", namespace_obj("late"));
  c.commit();
  CHECK(c.a("x.late.svc") == V{"10.96.0.3"});
}

TEST_CASE("kubernetes events: a relist drops what the watch missed", "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("ns"));
  c.put("Service", service("ns", "keep", "10.96.0.1"));
  c.put("Service", service("ns", "gone", "10.96.0.2"));
  c.put("EndpointSlice", slice("ns", "keep", "keep-1", {"10.244.0.1"}));
  c.put("EndpointSlice", slice("ns", "gone", "gone-1", {"10.244.0.2"}));
  c.commit();
  CHECK(c.a("gone.ns.svc") == V{"10.96.0.2"});

  // 410: list again. "gone" and its slice were deleted while no watch ran; "keep" changed.
  c.store->begin_relist("Service");
  c.put("Service", service("ns", "keep", "10.96.0.9"));
  c.store->end_relist("Service");
  c.store->begin_relist("EndpointSlice");
  c.put("EndpointSlice", slice("ns", "keep", "keep-1", {"10.244.0.1"}));
  c.store->end_relist("EndpointSlice");
  c.commit();
  CHECK(c.a("keep.ns.svc") == V{"10.96.0.9"});
  CHECK(c.a("gone.ns.svc") == kNx);
  CHECK(c.a("10-244-0-2.gone.ns.svc") == kNx);
  CHECK(c.ptr("2.0.244.10.in-addr.arpa.").empty());
  CHECK(c.a("10-244-0-1.keep.ns.svc") == V{"10.244.0.1"});
}

TEST_CASE("kubernetes events: PTR of an address several services have", "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("ns"));
  c.put("Service", service("ns", "a", "None"));
  c.put("Service", service("ns", "b", "None"));
  c.put("EndpointSlice", slice("ns", "a", "a-1", {"10.244.0.7"}));
  c.put("EndpointSlice", slice("ns", "b", "b-1", {"10.244.0.7"}));
  c.commit();
  CHECK(c.ptr("7.0.244.10.in-addr.arpa.") ==
        V{"10-244-0-7.a.ns.svc.cluster.local.", "10-244-0-7.b.ns.svc.cluster.local."});
  c.put("Service", service("ns", "c", "10.244.0.7"));  // a cluster IP wins over endpoints
  c.commit();
  CHECK(c.ptr("7.0.244.10.in-addr.arpa.") == V{"c.ns.svc.cluster.local."});
  c.del("Service", "ns/c");
  c.del("EndpointSlice", "ns/a-1");
  c.commit();
  CHECK(c.ptr("7.0.244.10.in-addr.arpa.") == V{"10-244-0-7.b.ns.svc.cluster.local."});
}

TEST_CASE("kubernetes events: pods verified, addresses shared and moved", "[kubernetes]") {
  IndexOptions o;
  o.pods = PodMode::verified;
  Cluster c(o);
  c.put("Namespace", namespace_obj("ns"));
  c.put("Pod", pod("ns", "p1", "10.0.0.1"));
  c.put("Pod", pod("ns", "p2", "10.0.0.1"));  // on the host's network: the same address
  c.commit();
  CHECK(c.x->pod("10-0-0-1.ns.pod").kind == PodAnswer::v4);
  c.del("Pod", "ns/p1");
  c.commit();
  CHECK(c.x->pod("10-0-0-1.ns.pod").kind == PodAnswer::v4);  // p2 still has it
  c.put("Pod", pod("ns", "p2", "10.0.0.2"));
  c.commit();
  CHECK(c.x->pod("10-0-0-1.ns.pod").kind == PodAnswer::nxdomain);
  CHECK(c.x->pod("10-0-0-2.ns.pod").kind == PodAnswer::v4);
  json going = pod("ns", "p2", "10.0.0.2");
  going["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  c.put("Pod", going);
  c.commit();
  CHECK(c.x->pod("10-0-0-2.ns.pod").kind == PodAnswer::nxdomain);
}

TEST_CASE("kubernetes events: a relist of pods drops the pods it does not list", "[kubernetes]") {
  IndexOptions o;
  o.pods = PodMode::verified;
  Cluster c(o);
  c.put("Namespace", namespace_obj("ns"));
  c.put("Pod", pod("ns", "p3", "10.0.0.3"));
  c.put("Pod", pod("ns", "p4", "10.0.0.4"));
  c.commit();
  c.store->begin_relist("Pod");
  c.put("Pod", pod("ns", "p4", "10.0.0.4"));
  c.store->end_relist("Pod");
  c.commit();
  CHECK(c.x->pod("10-0-0-3.ns.pod").kind == PodAnswer::nxdomain);
  CHECK(c.x->pod("10-0-0-4.ns.pod").kind == PodAnswer::v4);
}

namespace {

std::string ip_text(const uint8_t* b, bool v6) {
  std::string s;
  for (int i = 0; i < (v6 ? 16 : 4); ++i) s += std::to_string(b[i]) + ":";
  return s;
}

std::string describe(const NameRecord& r) {
  std::set<std::string> parts;
  for (auto& a : r.data.a()) parts.insert("A " + ip_text(a.data(), false));
  for (auto& a : r.data.aaaa()) parts.insert("AAAA " + ip_text(a.data(), true));
  for (auto& s : r.data.srv()) {
    parts.insert("SRV " + std::to_string(s.weight) + " " + std::to_string(s.port) + " " +
                 std::string(r.data.target(s)));
  }
  for (auto& e : r.data.extra())
    parts.insert("X " + std::string(r.data.owner(e)) + ip_text(e.addr.data(), e.v6));
  std::string line = std::string(r.name()) + " cname=" + std::string(r.data.cname());
  for (auto& s : parts) line += " | " + s;
  return line;
}

std::string describe(const PtrEntry& e) {
  std::set<std::string> names;
  for (uint32_t i = 0; i < e.count; ++i) {
    auto& n = e.names()[i];
    names.insert(std::string(n.name()) + (n.service ? "(svc)" : ""));
  }
  std::string line = "PTR " + ip_text(e.ip.b.data(), e.ip.v6);
  for (auto& n : names) line += " " + n;
  return line;
}

// Every name, PTR and namespace of a version, as text, to compare two versions whole.
std::set<std::string> everything(const ClusterIndex* x) {
  std::set<std::string> out;
  PMap<NameTraits>::walk(x->names, [&](const NameRecord* r) { out.insert(describe(*r)); });
  PMap<PtrTraits>::walk(x->ptr, [&](const PtrEntry* e) { out.insert(describe(*e)); });
  PMap<NamespaceTraits>::walk(x->namespaces,
                              [&](const NamespaceEntry* n) { out.insert("NS " + n->name); });
  return out;
}

}  // namespace

namespace {

// A cluster driven by random events, keeping the final objects as the source would see them.
struct RandomCluster {
  std::mt19937 rng{7};
  Cluster c;
  std::map<std::string, std::pair<std::string, json>> objects;  // key -> (kind, object)

  int pick(int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); }
  void put(const char* kind, const json& o) {
    objects[std::string(kind) + " " + key_of(o)] = {kind, o};
    c.put(kind, o);
  }
  void del(const char* kind, const std::string& key) {
    objects.erase(std::string(kind) + " " + key);
    c.del(kind, key);
  }
  std::string cluster_ip() {
    if (pick(3) == 0) return "None";
    return "10.96." + std::to_string(pick(4)) + "." + std::to_string(pick(250));
  }
  std::vector<std::string> endpoints() {
    std::vector<std::string> ips;
    for (int i = pick(4); i > 0; --i) ips.push_back("10.244.0." + std::to_string(pick(12)));
    return ips;
  }
  void step() {
    std::string ns = "ns" + std::to_string(pick(3)), svc = "s" + std::to_string(pick(6));
    std::string slice_name = svc + "-" + std::to_string(pick(2));
    switch (pick(7)) {
      case 0:
        return put("Namespace", namespace_obj(ns));
      case 1:
        return del("Namespace", "/" + ns);
      case 2:
        return put("Service", service(ns, svc, cluster_ip()));
      case 3:
        return del("Service", ns + "/" + svc);
      case 4:
      case 5:
        return put("EndpointSlice", slice(ns, svc, slice_name, endpoints(), pick(5) > 0));
      default:
        return del("EndpointSlice", ns + "/" + slice_name);
    }
  }
};

}  // namespace

TEST_CASE("kubernetes events: any order of events ends as a whole build of the result",
          "[kubernetes]") {
  RandomCluster r;
  for (int step = 0; step < 3000; ++step) {
    r.step();
    if (r.pick(10) == 0) r.c.commit();  // bursts of several events
  }
  r.c.commit();
  // The whole build of the final objects, as the state file makes it.
  ClusterState st;
  for (auto& [k, ko] : r.objects) {
    std::string err;
    REQUIRE(parse_object(ko.second, ko.first, st, err));
  }
  auto whole = ClusterStore::from_state(st, IndexOptions{});
  CHECK(everything(r.c.x) == everything(whole->root()));
  CHECK(!everything(r.c.x).empty());
}

TEST_CASE("kubernetes events: old versions are freed once no reader holds them", "[kubernetes]") {
  Published<ClusterIndex> p(2);
  IndexOptions o;
  ClusterStore store(o);
  auto frag_of = [](const json& obj, const char* kind) {
    ClusterState f;
    std::string err;
    parse_object(obj, kind, f, err);
    return f;
  };
  store.apply("Namespace", "/ns", frag_of(namespace_obj("ns"), "Namespace"));
  store.apply("Service", "ns/web", frag_of(service("ns", "web", "10.96.0.1"), "Service"));
  Garbage g;
  const ClusterIndex* root_g = store.commit(1, g);
  p.publish(root_g, std::move(g));
  CHECK(p.pending() == 0);
  {
    auto r = p.read(0);  // a query on worker 0, still answering
    REQUIRE(r.get());
    store.apply("Service", "ns/web", frag_of(service("ns", "web", "10.96.0.2"), "Service"));
    Garbage g2;
    const ClusterIndex* root_g2 = store.commit(2, g2);
    p.publish(root_g2, std::move(g2));
    CHECK(p.pending() == 1);  // the reader's version is kept whole
    CHECK(Cluster::a(r.get(), "web.ns.svc") == V{"10.96.0.1"});
    auto r2 = p.read(1);
    CHECK(Cluster::a(r2.get(), "web.ns.svc") == V{"10.96.0.2"});
  }
  p.reclaim();
  CHECK(p.pending() == 0);
}

TEST_CASE("kubernetes events: the endpoint change time of headless services is kept",
          "[kubernetes]") {
  Cluster c;
  c.put("Namespace", namespace_obj("ns"));
  c.put("Service", service("ns", "db", "None"));
  c.put("Service", service("ns", "web", "10.96.0.1"));
  json s = slice("ns", "db", "db-1", {"10.244.0.1"});
  s["metadata"]["annotations"] = {
      {"endpoints.kubernetes.io/last-change-trigger-time", "2026-11-30T10:00:00.25Z"}};
  ClusterState frag;
  std::string err;
  REQUIRE(parse_object(s, "EndpointSlice", frag, err));
  CHECK(frag.endpoints[0].trigger_ns == 1796032800250000000LL);
  s["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] =
      "2026-11-30T11:00:00+01:00";
  REQUIRE(parse_object(s, "EndpointSlice", frag, err));
  CHECK(frag.endpoints[1].trigger_ns == 1796032800000000000LL);
  c.put("EndpointSlice", s);
  json w = slice("ns", "web", "web-1", {"10.244.0.2"});
  w["metadata"]["annotations"] = s["metadata"]["annotations"];
  c.put("EndpointSlice", w);  // a ClusterIP service's: not measured, as in CoreDNS
  c.commit();
  CHECK(c.store->take_programmed() == std::vector<int64_t>{1796032800000000000LL});
  c.put("EndpointSlice", s);  // the same again: nothing changed, nothing measured
  CHECK(c.store->take_programmed().empty());
}

TEST_CASE("kubernetes events: readers on other threads see whole versions while it changes",
          "[kubernetes]") {
  // Two names change together in every version: a reader must never see one without the
  // other, nor read memory a newer version freed (the sanitizer build checks that).
  Published<ClusterIndex> p(2);
  ClusterStore store{IndexOptions{}};
  auto frag_of = [](const json& obj, const char* kind) {
    ClusterState f;
    std::string err;
    parse_object(obj, kind, f, err);
    return f;
  };
  auto ip_of = [](int g) {
    return "10.96." + std::to_string(g / 250) + "." + std::to_string(g % 250);
  };
  store.apply("Namespace", "/ns", frag_of(namespace_obj("ns"), "Namespace"));
  store.apply("Service", "ns/db", frag_of(service("ns", "db", "None"), "Service"));
  constexpr int kVersions = 1500;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, reads{0};
  auto reader = [&](int worker) {
    while (!done.load()) {
      auto r = p.read(worker);
      if (!r.get()) continue;
      auto web = Cluster::a(r.get(), "web.ns.svc");
      auto db = Cluster::a(r.get(), "db.ns.svc");
      if (web.size() != 1 || db.size() != 1) {
        ++bad;
        continue;
      }
      // web's cluster IP 10.96.A.B and db's endpoint 10.244.A.B come from the same version.
      if (web[0].substr(6) != db[0].substr(7)) ++bad;
      ++reads;
    }
  };
  std::thread r0(reader, 0), r1(reader, 1);
  for (int g = 1; g <= kVersions; ++g) {
    std::string ip = ip_of(g);
    store.apply("Service", "ns/web", frag_of(service("ns", "web", ip), "Service"));
    store.apply("EndpointSlice", "ns/db-1",
                frag_of(slice("ns", "db", "db-1", {"10.244." + ip.substr(6)}), "EndpointSlice"));
    Garbage g2;
    const ClusterIndex* root_g2 = store.commit(g, g2);
    p.publish(root_g2, std::move(g2));
  }
  done = true;
  r0.join();
  r1.join();
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
  p.reclaim();
  CHECK(p.pending() == 0);
}
