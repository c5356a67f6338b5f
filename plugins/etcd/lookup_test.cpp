// etcd: answers from a copy of the keys (published straight into the plugin; the e2e test
// test/e2e/test_etcd.py reads them from a real etcd).
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/plugin/testing.h"
#include "plugins/etcd/etcd.h"

using cxxdns::testing::ChainTest;
using namespace cxxdns::plugins::etcd;

namespace {

// Endpoint on a closed port: the plugin's own reader never publishes over the test's data.
const char* kCorefile = R"(example.org 10.in-addr.arpa {
    etcd {
        endpoint http://127.0.0.1:1
    }
})";

std::shared_ptr<Store> skydns_keys() {
  auto s = std::make_shared<Store>();
  s->put("/skydns/org/example/www/x1", R"({"host":"10.0.0.1","ttl":60})");
  s->put("/skydns/org/example/www/x2", R"({"host":"10.0.0.2","ttl":60})");
  s->put("/skydns/org/example/www/x3", R"({"host":"2001:db8::1","ttl":60})");
  s->put("/skydns/org/example/alias", R"({"host":"www.example.org"})");
  s->put("/skydns/org/example/outside", R"({"host":"target.example.net"})");
  s->put("/skydns/org/example/txt", R"({"text":"hello world"})");
  s->put("/skydns/org/example/_http/_tcp/svc/a", R"({"host":"10.0.1.1","port":80,"weight":1})");
  s->put("/skydns/org/example/_http/_tcp/svc/b", R"({"host":"10.0.1.2","port":80,"weight":3})");
  s->put("/skydns/org/example/mail", R"({"host":"mx.example.org","mail":true,"priority":5})");
  s->put("/skydns/org/example/mx", R"({"host":"10.0.2.1"})");
  s->put("/skydns/org/example/dns/ns/ns1", R"({"host":"10.0.3.1"})");
  s->put("/skydns/org/example/dns/apex/a", R"({"host":"10.0.4.1"})");
  s->put("/skydns/org/example/broken", R"({"host":10})");
  s->put("/skydns/arpa/in-addr/10/0/0/1", R"({"host":"www.example.org"})");
  return s;
}

struct Fixture {
  ChainTest t{kCorefile};
  Fixture() {
    auto* p = dynamic_cast<Etcd*>(t.plugin("etcd"));
    REQUIRE(p != nullptr);
    p->publish(skydns_keys());
  }
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("etcd answers A and AAAA from the keys under a name", "[etcd]") {
  Fixture f;
  auto a = f.t.query("www.example.org.", "A");
  REQUIRE(a.rcode == "NOERROR");
  CHECK(a.aa());
  CHECK(sorted(a.answer) == std::vector<std::string>{"www.example.org.\t60\tIN\tA\t10.0.0.1",
                                                     "www.example.org.\t60\tIN\tA\t10.0.0.2"});
  CHECK(f.t.query("www.example.org.", "AAAA").answer ==
        std::vector<std::string>{"www.example.org.\t60\tIN\tAAAA\t2001:db8::1"});
  // One key of the name, by its own name.
  CHECK(f.t.query("x1.www.example.org.", "A").answer.size() == 1);
}

TEST_CASE("etcd follows CNAMEs inside the zone", "[etcd]") {
  Fixture f;
  auto a = f.t.query("alias.example.org.", "A");
  REQUIRE(a.answer.size() == 3);
  CHECK(a.answer[0] == "alias.example.org.\t300\tIN\tCNAME\twww.example.org.");
  auto c = f.t.query("alias.example.org.", "CNAME");
  CHECK(c.answer ==
        std::vector<std::string>{"alias.example.org.\t300\tIN\tCNAME\twww.example.org."});
  // Outside the zone: followed through the server; no zone serves it here, so the CNAME
  // stays alone (test_etcd.py follows one through forward).
  CHECK(f.t.query("outside.example.org.", "A").answer ==
        std::vector<std::string>{"outside.example.org.\t300\tIN\tCNAME\ttarget.example.net."});
}

TEST_CASE("etcd answers TXT, SRV and MX", "[etcd]") {
  Fixture f;
  CHECK(f.t.query("txt.example.org.", "TXT").answer ==
        std::vector<std::string>{"txt.example.org.\t300\tIN\tTXT\t\"hello world\""});
  auto srv = f.t.query("svc._tcp._http.example.org.", "SRV");
  CHECK(sorted(srv.answer) ==
        std::vector<std::string>{
            "svc._tcp._http.example.org.\t300\tIN\tSRV\t10 25 80 a.svc._tcp._http.example.org.",
            "svc._tcp._http.example.org.\t300\tIN\tSRV\t10 75 80 b.svc._tcp._http.example.org."});
  CHECK(srv.additional.size() == 2);
  auto mx = f.t.query("mail.example.org.", "MX");
  CHECK(mx.answer == std::vector<std::string>{"mail.example.org.\t300\tIN\tMX\t5 mx.example.org."});
  CHECK(mx.additional == std::vector<std::string>{"mx.example.org.\t300\tIN\tA\t10.0.2.1"});
}

TEST_CASE("etcd wildcards, NXDOMAIN and NODATA with the SOA", "[etcd]") {
  Fixture f;
  CHECK(f.t.query("*.www.example.org.", "A").answer.size() == 2);
  CHECK(f.t.query("x1.*.example.org.", "A").answer.size() == 1);
  auto nx = f.t.query("nothing.example.org.", "A");
  CHECK(nx.rcode == "NXDOMAIN");
  CHECK(nx.aa());
  REQUIRE(nx.authority.size() == 1);
  CHECK(nx.authority[0].find("\tSOA\tns.dns.example.org. hostmaster.example.org. ") !=
        std::string::npos);
  auto nodata = f.t.query("www.example.org.", "MX");
  CHECK(nodata.rcode == "NOERROR");
  CHECK(nodata.answer.empty());
  CHECK(nodata.authority.size() == 1);
}

TEST_CASE("etcd apex: SOA, NS from ns.dns, addresses from apex.dns", "[etcd]") {
  Fixture f;
  CHECK(f.t.query("example.org.", "SOA").answer.size() == 1);
  auto ns = f.t.query("example.org.", "NS");
  CHECK(ns.answer ==
        std::vector<std::string>{"example.org.\t300\tIN\tNS\tns1.ns.dns.example.org."});
  CHECK(ns.additional == std::vector<std::string>{"ns1.ns.dns.example.org.\t300\tIN\tA\t10.0.3.1"});
  CHECK(f.t.query("example.org.", "A").answer ==
        std::vector<std::string>{"example.org.\t300\tIN\tA\t10.0.4.1"});
}

TEST_CASE("etcd PTR and a value that does not decode", "[etcd]") {
  Fixture f;
  CHECK(f.t.query("1.0.0.10.in-addr.arpa.", "PTR").answer ==
        std::vector<std::string>{"1.0.0.10.in-addr.arpa.\t300\tIN\tPTR\twww.example.org."});
  auto bad = f.t.query("broken.example.org.", "A");
  CHECK(bad.rcode == "SERVFAIL");
}

TEST_CASE("etcd without keys read yet answers SERVFAIL, then fallthrough", "[etcd]") {
  ChainTest none(kCorefile);
  CHECK(none.query("www.example.org.", "A").rcode == "SERVFAIL");
  ChainTest t(R"(example.org {
    etcd {
        endpoint http://127.0.0.1:1
        fallthrough
        stubzones
        path /skydns
    }
    whoami
})");
  dynamic_cast<Etcd*>(t.plugin("etcd"))->publish(skydns_keys());
  CHECK(t.query("www.example.org.", "A").answer.size() == 2);
  // No such name: on to whoami.
  CHECK(t.query("nothing.example.org.", "A").additional.size() == 2);
}

TEST_CASE("etcd setup errors", "[etcd]") {
  using cxxdns::testing::setup_error;
  CHECK(setup_error(". {\n etcd {\n  credentials user\n }\n}\n")
            .find("credentials requires 2 arguments") != std::string::npos);
  CHECK(setup_error(". {\n etcd {\n  endpoint\n }\n}\n").find("Wrong argument count") !=
        std::string::npos);
  CHECK(setup_error(". {\n etcd {\n  endpoint unix://x\n }\n}\n").find("http://") !=
        std::string::npos);
  CHECK(setup_error(". {\n etcd {\n  endpoint 127.0.0.1:2379\n }\n}\n") == "no error");
  CHECK(setup_error(". {\n etcd {\n  bogus\n }\n}\n").find("unknown property 'bogus'") !=
        std::string::npos);
  CHECK(setup_error(". {\n etcd {\n  stubzones\n  debug\n  tls\n }\n}\n") == "no error");
}
