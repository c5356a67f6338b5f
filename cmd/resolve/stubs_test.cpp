// The three stubs' walks over the same answers: where glibc, musl and Go part ways.
#include <catch2/catch.hpp>

#include <map>

#include "cmd/resolve/stubs.h"

using namespace cxxdns::resolve;

namespace {

// Answers set by the test; anything not set is NXDOMAIN. Counts what is asked.
class ScriptedAsker final : public Asker {
 public:
  // An A answer with `addresses` addresses (and AAAA NODATA), or one rcode for both types.
  void addresses(const std::string& name, int n) {
    Lookup& l = script_[name];
    l.name = name;
    l.replies = {reply(1, "NOERROR", n, n), reply(28, "NOERROR", 0, 0)};
  }
  void rcode(const std::string& name, const std::string& rc) {
    Lookup& l = script_[name];
    l.name = name;
    l.replies = {reply(1, rc, 0, 0), reply(28, rc, 0, 0)};
  }
  // NOERROR with a CNAME to a name that is not in the answer.
  void cname_only(const std::string& name) {
    Lookup& l = script_[name];
    l.name = name;
    l.replies = {reply(1, "NOERROR", 1, 0), reply(28, "NOERROR", 1, 0)};
  }
  const Lookup& ask(const std::string& fqdn) override {
    ++asked[fqdn];
    auto it = script_.find(fqdn);
    if (it != script_.end()) return it->second;
    Lookup& l = script_[fqdn];
    l.name = fqdn;
    l.replies = {reply(1, "NXDOMAIN", 0, 0), reply(28, "NXDOMAIN", 0, 0)};
    return l;
  }
  std::map<std::string, int> asked;

 private:
  static Reply reply(uint16_t type, const std::string& rc, int records, int addresses) {
    Reply r;
    r.qtype = type;
    r.rcode = rc;
    r.ancount = records;
    r.addresses = addresses;
    r.udp_addresses = addresses;
    return r;
  }
  std::map<std::string, Lookup> script_;
};

StubConfig pod() {
  StubConfig c;
  c.search = {"ns.svc.cluster.local", "svc.cluster.local", "lan"};
  c.ndots = 5;
  return c;
}

std::string chosen(const StubResult& r) {
  return r.found ? r.asked[r.chosen] : "error";
}

}  // namespace

TEST_CASE("stubs: NXDOMAIN walks on for all three, the first address wins", "[resolve]") {
  ScriptedAsker a;
  a.addresses("www.example.com.lan.", 1);
  a.addresses("www.example.com.", 1);
  for (auto* f : {&glibc_lookup, &musl_lookup, &go_lookup}) {
    CHECK(chosen(f("www.example.com", pod(), a, true)) == "www.example.com.lan.");
  }
}

TEST_CASE("stubs: REFUSED stops glibc's search list, it then asks the name as given", "[resolve]") {
  ScriptedAsker a;
  a.rcode("www.example.com.svc.cluster.local.", "REFUSED");
  a.addresses("www.example.com.lan.", 1);
  a.addresses("www.example.com.", 1);
  StubResult g = glibc_lookup("www.example.com", pod(), a, true);
  CHECK(g.asked == std::vector<std::string>{"www.example.com.ns.svc.cluster.local.",
                                            "www.example.com.svc.cluster.local.",
                                            "www.example.com."});
  CHECK(chosen(g) == "www.example.com.");
  StubResult m = musl_lookup("www.example.com", pod(), a, true);
  CHECK_FALSE(m.found);  // EAI_FAIL: musl stops at the first failure
  CHECK(m.error.find("REFUSED") != std::string::npos);
  CHECK(chosen(go_lookup("www.example.com", pod(), a, true)) == "www.example.com.lan.");
}

TEST_CASE("stubs: SERVFAIL walks on in glibc and Go, musl stops", "[resolve]") {
  ScriptedAsker a;
  a.rcode("www.example.com.ns.svc.cluster.local.", "SERVFAIL");
  a.addresses("www.example.com.lan.", 1);
  CHECK(chosen(glibc_lookup("www.example.com", pod(), a, true)) == "www.example.com.lan.");
  StubResult m = musl_lookup("www.example.com", pod(), a, true);
  CHECK_FALSE(m.found);
  CHECK(m.error.find("EAI_AGAIN") != std::string::npos);
  CHECK(chosen(go_lookup("www.example.com", pod(), a, true)) == "www.example.com.lan.");
}

TEST_CASE("stubs: a CNAME alone ends glibc's walk without an address, Go walks on", "[resolve]") {
  ScriptedAsker a;
  a.cname_only("www.example.com.svc.cluster.local.");
  a.addresses("www.example.com.lan.", 1);
  StubResult g = glibc_lookup("www.example.com", pod(), a, true);
  CHECK_FALSE(g.found);
  CHECK(g.asked.back() == "www.example.com.svc.cluster.local.");
  CHECK_FALSE(musl_lookup("www.example.com", pod(), a, true).found);
  CHECK(chosen(go_lookup("www.example.com", pod(), a, true)) == "www.example.com.lan.");
  // For one type (res_search), the CNAME is the answer.
  CHECK(chosen(glibc_lookup("www.example.com", pod(), a, false)) ==
        "www.example.com.svc.cluster.local.");
}

TEST_CASE("stubs: NODATA walks on in glibc, and is the error when nothing has an address",
          "[resolve]") {
  ScriptedAsker a;
  a.rcode("www.example.com.ns.svc.cluster.local.", "NOERROR");
  a.addresses("www.example.com.lan.", 1);
  CHECK(chosen(glibc_lookup("www.example.com", pod(), a, true)) == "www.example.com.lan.");
  CHECK_FALSE(musl_lookup("www.example.com", pod(), a, true).found);
  ScriptedAsker none;
  none.rcode("www.example.com.svc.cluster.local.", "NOERROR");
  StubResult g = glibc_lookup("www.example.com", pod(), none, true);
  CHECK_FALSE(g.found);
  CHECK(g.error.find("NODATA") != std::string::npos);
  CHECK(g.asked.size() == 4);  // the whole list, then the name as given
}

TEST_CASE("stubs: ndots dots or more: the name first, musl asks nothing else", "[resolve]") {
  StubConfig c = pod();
  c.ndots = 2;
  ScriptedAsker a;
  a.addresses("www.example.com.lan.", 1);
  StubResult g = glibc_lookup("www.example.com", c, a, true);
  CHECK(g.asked.front() == "www.example.com.");
  CHECK(chosen(g) == "www.example.com.lan.");
  StubResult m = musl_lookup("www.example.com", c, a, true);
  CHECK(m.asked == std::vector<std::string>{"www.example.com."});
  CHECK_FALSE(m.found);
  CHECK(chosen(go_lookup("www.example.com", c, a, true)) == "www.example.com.lan.");
  // A final dot: the name alone, for everyone.
  for (auto* f : {&glibc_lookup, &musl_lookup, &go_lookup}) {
    CHECK(f("www.example.com.", c, a, true).asked == std::vector<std::string>{"www.example.com."});
  }
}
