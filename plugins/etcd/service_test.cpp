// etcd: the SkyDNS record decoding, name and key conversions, groups.
#include <catch2/catch.hpp>

#include "plugins/etcd/client.h"
#include "plugins/etcd/service.h"

using namespace cxxdns::plugins::etcd;

TEST_CASE("etcd decodes SkyDNS records as Go's encoding/json", "[etcd]") {
  auto s = decode_service(
      R"({"host":"10.0.0.1","port":8080,"priority":20,"weight":5,"text":"t","mail":true,)"
      R"("ttl":60,"targetstrip":1,"group":"g","unknown":[1,2]})");
  REQUIRE(s);
  CHECK(s->host == "10.0.0.1");
  CHECK(s->port == 8080);
  CHECK(s->priority == 20);
  CHECK(s->weight == 5);
  CHECK(s->text == "t");
  CHECK(s->mail);
  CHECK(s->ttl == 60);
  CHECK(s->target_strip == 1);
  CHECK(s->group == "g");
  // Field names match whatever their case; null leaves the zero value.
  auto c = decode_service(R"({"Host":"a.example.","TTL":null})");
  REQUIRE(c);
  CHECK(c->host == "a.example.");
  CHECK(c->ttl == 0);
  // A wrong type, a fraction, a negative TTL, no object: errors.
  CHECK_FALSE(decode_service(R"({"port":"80"})"));
  CHECK_FALSE(decode_service(R"({"port":80.5})"));
  CHECK_FALSE(decode_service(R"({"ttl":-1})"));
  CHECK_FALSE(decode_service(R"(["host"])"));
  CHECK_FALSE(decode_service("{not json"));
}

TEST_CASE("etcd turns names into reversed key paths and back", "[etcd]") {
  CHECK(name_to_path("www.example.org.", "/skydns") == "/skydns/org/example/www");
  CHECK(name_to_path("www.example.org.", "skydns") == "/skydns/org/example/www");
  CHECK(name_to_path("www.example.org.", "/skydns/") == "/skydns/org/example/www");
  CHECK(name_to_path(".", "/skydns") == "/skydns");
  CHECK(name_to_path("a.b.", "/dns/prod") == "/dns/prod/b/a");
  bool star = false;
  CHECK(wildcard_path("x.*.example.org.", "/skydns", star) == "/skydns/org/example");
  CHECK(star);
  CHECK(wildcard_path("x.any.example.org.", "/skydns", star) == "/skydns/org/example");
  CHECK(star);
  CHECK(wildcard_path("x.example.org.", "/skydns", star) == "/skydns/org/example/x");
  CHECK_FALSE(star);
  CHECK(key_to_name("/skydns/org/example/www/x1", "/skydns") == "x1.www.example.org.");
  CHECK(key_to_name("/dns/prod/org/example/a", "/dns/prod") == "a.example.org.");
  CHECK(strip_labels("x1.www.example.org.", 1) == "www.example.org.");
  CHECK(strip_labels("x1.www.example.org.", 4) == "x1.www.example.org.");  // overshot
  CHECK(split_labels("a\\.b.c.") == std::vector<std::string>{"a\\.b", "c"});
}

TEST_CASE("etcd tells addresses, names and text apart", "[etcd]") {
  cxxdns::pkg::IpAddress ip;
  Service s;
  s.host = "10.1.2.3";
  CHECK(host_kind(s, ip) == HostKind::a);
  s.host = "::ffff:10.1.2.3";  // Go's To4(): an IPv4 address
  CHECK(host_kind(s, ip) == HostKind::a);
  CHECK(ip.len == 4);
  s.host = "2001:db8::1";
  CHECK(host_kind(s, ip) == HostKind::aaaa);
  s.host = "target.example.";
  CHECK(host_kind(s, ip) == HostKind::name);
  s.text = "hello";
  CHECK(host_kind(s, ip) == HostKind::text);
  s.host.clear();
  CHECK(host_kind(s, ip) == HostKind::text);
}

TEST_CASE("etcd groups keep the group of the shortest keys", "[etcd]") {
  auto svc = [](std::string key, std::string group) {
    Service s;
    s.key = std::move(key);
    s.group = std::move(group);
    return s;
  };
  auto g = group({svc("/skydns/org/a/x", "g1"), svc("/skydns/org/a/b/y", "g2"),
                  svc("/skydns/org/a/b/z", "g1"), svc("/skydns/org/a/b/w", "")});
  REQUIRE(g.size() == 3);
  CHECK(g[0].key == "/skydns/org/a/x");
  CHECK(g[1].key == "/skydns/org/a/b/z");
  CHECK(g[2].key == "/skydns/org/a/b/w");
  // Disagreement at the shortest level: no grouping.
  CHECK(group({svc("/s/a/x", "g1"), svc("/s/a/y", "g2")}).size() == 2);
}

TEST_CASE("etcd base64 and range ends", "[etcd]") {
  CHECK(base64_encode("/skydns/") == "L3NreWRucy8=");
  CHECK(base64_encode("ab") == "YWI=");
  std::string out;
  REQUIRE(base64_decode("L3NreWRucy8=", out));
  CHECK(out == "/skydns/");
  CHECK_FALSE(base64_decode("***", out));
  CHECK(prefix_end("/skydns/") == "/skydns0");
  CHECK(prefix_end("a\xff") == "b");
}
