// prometheus: /metrics over HTTP and the DNS metrics of its server blocks, with CoreDNS's
// names and labels. The registry is process-wide: each test case uses zones and ports of its
// own so that its series are its own.
#include <catch2/catch.hpp>

#include "core/http/server.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;
using cxxdns::testing::setup_error;

namespace {

// The port the endpoint named `address` listens on (one the kernel picked for port 0).
uint16_t port_of(const std::string& address) {
  return cxxdns::http::HttpServer::shared(address)->port();
}

// The body of GET /metrics, asked over TCP.
std::string scrape(ChainTest& t, const std::string& address = "127.0.0.1:0") {
  std::string r = cxxdns::testing::http_request(t, port_of(address), "/metrics");
  REQUIRE(r.starts_with("HTTP/1.1 200 OK\r\n"));
  size_t body = r.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  return r.substr(body + 4);
}

// The value of one series ("name{labels}"), or "" when it is not there.
std::string value_of(const std::string& body, const std::string& series) {
  size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return "";
  at += series.size() + 2;
  return body.substr(at, body.find('\n', at) - at);
}

}  // namespace

TEST_CASE("prometheus: /metrics in the text format, on the address given", "[prometheus]") {
  ChainTest t("prom1.test:53001 {\n  prometheus 127.0.0.1:0\n  whoami\n}\n");
  REQUIRE(port_of("127.0.0.1:0") != 0);
  std::string r = cxxdns::testing::http_request(t, port_of("127.0.0.1:0"), "/metrics");
  CHECK(r.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
        std::string::npos);
  std::string body = scrape(t);
  CHECK(body.find("# TYPE coredns_build_info gauge\n") != std::string::npos);
  CHECK(body.find("# TYPE coredns_dns_requests_total counter\n") == std::string::npos);
  // Every plugin of the block, as CoreDNS's coredns_plugin_enabled.
  const std::string enabled =
      "coredns_plugin_enabled{server=\"dns://:53001\",zone=\"prom1.test.\","
      "view=\"\",name=";
  CHECK(value_of(body, enabled + "\"prometheus\"}") == "1");
  CHECK(value_of(body, enabled + "\"whoami\"}") == "1");
  CHECK(body.find("\nprocess_resident_memory_bytes ") != std::string::npos);
  CHECK(body.find("\nprocess_start_time_seconds ") != std::string::npos);
  CHECK(value_of(body, "coredns_reload_failed_total") == "0");
  // Other paths are not there.
  CHECK(cxxdns::testing::http_request(t, port_of("127.0.0.1:0"), "/nope")
            .starts_with("HTTP/1.1 404 "));
}

TEST_CASE("prometheus: requests, responses, durations and sizes by CoreDNS's labels",
          "[prometheus]") {
  ChainTest t("prom2.test:53002 {\n  prometheus 127.0.0.1:0\n  whoami\n}\n");
  QueryOptions udp4;
  QueryOptions tcp6;
  tcp6.tcp = true;
  tcp6.client_ip = "fd00::1";
  for (auto& [name, type, o] : std::vector<std::tuple<const char*, const char*, QueryOptions>>{
           {"a.prom2.test.", "A", udp4},
           {"b.prom2.test.", "A", udp4},
           {"c.prom2.test.", "NAPTR", udp4},
           {"d.prom2.test.", "AAAA", tcp6}}) {
    REQUIRE(t.query(name, type, o).rcode == "NOERROR");
  }
  const std::string body = scrape(t);
  const std::string at = "{server=\"dns://:53002\",zone=\"prom2.test.\",view=\"\"";
  const std::pair<std::string, std::string> expected[] = {
      {"coredns_dns_requests_total" + at + ",proto=\"udp\",family=\"1\",type=\"A\"}", "2"},
      // Types CoreDNS does not list are "other".
      {"coredns_dns_requests_total" + at + ",proto=\"udp\",family=\"1\",type=\"other\"}", "1"},
      {"coredns_dns_requests_total" + at + ",proto=\"tcp\",family=\"2\",type=\"AAAA\"}", "1"},
      // By rcode and by the plugin that wrote the answer.
      {"coredns_dns_responses_total" + at + ",rcode=\"NOERROR\",plugin=\"whoami\"}", "4"},
      // No type label on the duration (CoreDNS 1.12: server, zone, view).
      {"coredns_dns_request_duration_seconds_count" + at + "}", "4"},
      {"coredns_dns_request_duration_seconds_bucket" + at + ",le=\"+Inf\"}", "4"},
      // Three 30-byte UDP queries; one TCP.
      {"coredns_dns_request_size_bytes_count" + at + ",proto=\"udp\"}", "3"},
      {"coredns_dns_request_size_bytes_sum" + at + ",proto=\"udp\"}", "90"},
      {"coredns_dns_request_size_bytes_bucket" + at + ",proto=\"udp\",le=\"0\"}", "0"},
      {"coredns_dns_request_size_bytes_bucket" + at + ",proto=\"udp\",le=\"100\"}", "3"},
      {"coredns_dns_request_size_bytes_count" + at + ",proto=\"tcp\"}", "1"},
      {"coredns_dns_response_size_bytes_count" + at + ",proto=\"udp\"}", "3"},
      {"coredns_dns_response_size_bytes_count" + at + ",proto=\"tcp\"}", "1"},
  };
  for (const auto& [series, value] : expected) {
    CAPTURE(series);
    CHECK(value_of(body, series) == value);
  }

  // Counters go on from where they were.
  t.query("a.prom2.test.", "A", udp4);
  CHECK(value_of(scrape(t), expected[0].first) == "3");
}

TEST_CASE("prometheus: a query counts under the longest zone of the block that matches",
          "[prometheus]") {
  ChainTest t("prom3.test:53003 sub.prom3.test:53003 {\n  prometheus 127.0.0.1:0\n  whoami\n}\n");
  t.query("x.sub.prom3.test.", "A");
  t.query("y.sub.prom3.test.", "A");
  t.query("y.prom3.test.", "A");
  std::string body = scrape(t);
  const std::string series = "coredns_dns_requests_total{server=\"dns://:53003\",zone=\"";
  const std::string rest = "\",view=\"\",proto=\"udp\",family=\"1\",type=\"A\"}";
  CHECK(value_of(body, series + "sub.prom3.test." + rest) == "2");
  CHECK(value_of(body, series + "prom3.test." + rest) == "1");
}

TEST_CASE("prometheus: the server label has the bind address", "[prometheus]") {
  ChainTest t(R"(prom4.test:53004 {
    bind 127.0.0.1 ::1
    prometheus 127.0.0.1:0
    whoami
}
prom4b.test:53004 {
    bind ::1
    prometheus 127.0.0.1:0
    whoami
}
)");
  t.query("a.prom4.test.", "A");
  std::string body = scrape(t);
  // With several addresses, queries count under the first.
  CHECK(value_of(body,
                 "coredns_dns_requests_total{server=\"dns://127.0.0.1:53004\","
                 "zone=\"prom4.test.\",view=\"\",proto=\"udp\",family=\"1\",type=\"A\"}") == "1");
  // Both blocks share the endpoint; every address of each block is listed, IPv6 in brackets.
  for (const char* server :
       {"dns://127.0.0.1:53004\",zone=\"prom4.test.", "dns://[::1]:53004\",zone=\"prom4.test.",
        "dns://[::1]:53004\",zone=\"prom4b.test."}) {
    CAPTURE(server);
    CHECK(value_of(body, std::string("coredns_plugin_enabled{server=\"") + server +
                             "\",view=\"\",name=\"whoami\"}") == "1");
  }
}

TEST_CASE("prometheus: blocks without it are not counted", "[prometheus]") {
  ChainTest t(R"(prom5.test:53005 {
    prometheus 127.0.0.1:0
    whoami
}
other5.test:53005 {
    whoami
}
)");
  t.query("a.other5.test.", "A");
  t.query("a.prom5.test.", "A");
  std::string body = scrape(t);
  CHECK(body.find("zone=\"other5.test.\",view=\"\",proto=") == std::string::npos);
  CHECK(value_of(body,
                 "coredns_dns_requests_total{server=\"dns://:53005\",zone=\"prom5.test.\","
                 "view=\"\",proto=\"udp\",family=\"1\",type=\"A\"}") == "1");
}

TEST_CASE("prometheus: answers of other rcodes count under theirs", "[prometheus]") {
  ChainTest t(R"(prom6.test:53006 {
    prometheus 127.0.0.1:0
    acl {
        block net 192.0.2.0/24
    }
    whoami
})");
  QueryOptions blocked;
  blocked.client_ip = "192.0.2.9";
  REQUIRE(t.query("a.prom6.test.", "A").rcode == "NOERROR");
  REQUIRE(t.query("a.prom6.test.", "A", blocked).rcode == "REFUSED");
  REQUIRE(t.query("b.prom6.test.", "A", blocked).rcode == "REFUSED");
  std::string body = scrape(t);
  const std::string at =
      "coredns_dns_responses_total{server=\"dns://:53006\",zone=\"prom6.test.\","
      "view=\"\",rcode=";
  CHECK(value_of(body, at + "\"NOERROR\",plugin=\"whoami\"}") == "1");
  CHECK(value_of(body, at + "\"REFUSED\",plugin=\"acl\"}") == "2");
}

// CoreDNS's plugin label names the plugin that wrote the answer, "" when none did (the
// server wrote the SERVFAIL of a chain that ended, or of a plugin returning an error:
// metrics.authoritativePlugin). Ours names the plugin that called ctx.fail() or next()
// last (plugins/prometheus/prometheus.cpp, on_reply: pos from ctx.position()).
TEST_CASE("prometheus: a SERVFAIL no plugin wrote has plugin=\"\" (CoreDNS)",
          "[prometheus][!shouldfail]") {
  ChainTest t("prom7.test:53007 {\n  prometheus 127.0.0.1:0\n}\n");
  REQUIRE(t.query("a.prom7.test.", "A").rcode == "SERVFAIL");
  std::string body = scrape(t);
  CHECK(value_of(body,
                 "coredns_dns_responses_total{server=\"dns://:53007\",zone=\"prom7.test.\","
                 "view=\"\",rcode=\"SERVFAIL\",plugin=\"\"}") == "1");
}

// CoreDNS counts queries with the DO bit in coredns_dns_do_requests_total{server, zone, view}
// (plugin/metrics/vars: RequestDo); plugins/prometheus/vars.cpp has no such family.
TEST_CASE("prometheus: queries with the DO bit are counted (CoreDNS)",
          "[prometheus][!shouldfail]") {
  ChainTest t("prom9.test:53009 {\n  prometheus 127.0.0.1:0\n  whoami\n}\n");
  QueryOptions dnssec;
  dnssec.bufsize = 1232;
  dnssec.do_bit = true;
  t.query("a.prom9.test.", "A", dnssec);
  t.query("b.prom9.test.", "A");
  std::string body = scrape(t);
  CHECK(value_of(body,
                 "coredns_dns_do_requests_total{server=\"dns://:53009\",zone=\"prom9.test.\","
                 "view=\"\"}") == "1");
}

TEST_CASE("prometheus: refused Corefiles name file:line", "[prometheus]") {
  const std::string e = "plugin/prometheus: Corefile:2 - Error during parsing: ";
  CHECK(setup_error(".:53008 {\n  prometheus a b c\n}\n") ==
        e + "Wrong argument count or unexpected line ending after 'b'");
  CHECK(setup_error(".:53008 {\n  prometheus /foo\n}\n") ==
        e + "address /foo: missing or bad port in address");
  CHECK(setup_error(".:53008 {\n  prometheus localhost:99999\n}\n") ==
        e + "address localhost:99999: missing or bad port in address");
  CHECK(setup_error(".:53008 {\n  prometheus 127.0.0.1:0 {\n  }\n}\n") ==
        e + "prometheus takes no block");
  CHECK(setup_error(".:53008 {\n  prometheus 127.0.0.1:0\n  prometheus 127.0.0.1:0\n}\n") ==
        "plugin/prometheus: Corefile:3 - Error during parsing: this plugin can only be used once "
        "per Server Block");
}

// CoreDNS labels a block's metrics with its view's name (metrics.WithView).
TEST_CASE("prometheus: the view label is the block's view name", "[prometheus]") {
  ChainTest t(
      "viewed.test:53010 {\n  view internal {\n    expr incidr(client_ip(), '10.0.0.0/8')\n  }\n"
      "  prometheus 127.0.0.1:0\n  whoami\n}\n"
      "viewed.test:53010 {\n  prometheus 127.0.0.1:0\n  whoami\n}\n");
  QueryOptions inside;
  inside.client_ip = "10.1.2.3";
  REQUIRE(t.query("a.viewed.test.", "A", inside).rcode == "NOERROR");
  REQUIRE(t.query("b.viewed.test.", "A").rcode == "NOERROR");
  const std::string body = scrape(t);
  const std::string at = "{server=\"dns://:53010\",zone=\"viewed.test.\",view=";
  CHECK(value_of(body, "coredns_dns_requests_total" + at +
                           "\"internal\",proto=\"udp\",family=\"1\",type=\"A\"}") == "1");
  CHECK(value_of(body, "coredns_dns_requests_total" + at +
                           "\"\",proto=\"udp\",family=\"1\",type=\"A\"}") == "1");
  CHECK(value_of(body, "coredns_plugin_enabled" + at + "\"internal\",name=\"whoami\"}") == "1");
}
