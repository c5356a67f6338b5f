// health: "OK" on /health while the process runs, lameduck on shutdown, and the self-probe
// metrics, as CoreDNS's health.
#include <catch2/catch.hpp>

#include "core/http/server.h"
#include "core/metrics/metrics.h"
#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::http_request;
using cxxdns::testing::setup_error;
using cxxdns::testing::stdout_lines;
using namespace std::chrono_literals;

namespace {

uint16_t port_of(const std::string& address) {
  return cxxdns::http::HttpServer::shared(address)->port();
}

// The value of a series without labels in the process-wide registry, 0 when absent.
uint64_t registry_value(const std::string& series) {
  std::string all = cxxdns::metrics::Registry::global().render();
  size_t at = all.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(all.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("health: /health answers 200 OK while the server runs", "[health]") {
  ChainTest t(". {\n  health 127.0.0.1:0\n  whoami\n}\n");
  const uint16_t port = port_of("127.0.0.1:0");
  REQUIRE(port != 0);
  std::string r = http_request(t, port, "/health");
  CHECK(r.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.ends_with("\r\n\r\nOK"));
  std::string head = http_request(t, port, "/health", "HEAD");
  CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(head.ends_with("\r\n\r\n"));  // no body
  CHECK(http_request(t, port, "/health", "POST").starts_with("HTTP/1.1 405 "));
  CHECK(http_request(t, port, "/healthz").starts_with("HTTP/1.1 404 "));
  // It passes every query on.
  CHECK(t.query("example.org.", "A").rcode == "NOERROR");
}

TEST_CASE("health: shares its address with prometheus", "[health]") {
  ChainTest t(". {\n  health 127.0.0.1:0\n  prometheus 127.0.0.1:0\n  whoami\n}\n");
  const uint16_t port = port_of("127.0.0.1:0");
  CHECK(http_request(t, port, "/health").starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(http_request(t, port, "/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("health: the endpoint closes with the configuration", "[health]") {
  uint16_t port = 0;
  {
    ChainTest t(". {\n  health 127.0.0.1:0\n  whoami\n}\n");
    port = port_of("127.0.0.1:0");
    REQUIRE(http_request(t, port, "/health").starts_with("HTTP/1.1 200 OK\r\n"));
  }
  ChainTest other(". {\n  whoami\n}\n");
  CHECK(http_request(other, port, "/health").empty());  // connection refused
}

TEST_CASE("health: lameduck is what the server waits on shutdown, and is logged", "[health]") {
  ChainTest t(". {\n  health 127.0.0.1:0 {\n    lameduck 250ms\n  }\n  whoami\n}\n");
  uint64_t ms = 0;
  auto lines = stdout_lines([&] { ms = t.config().lifecycle.lameduck_ms(); });
  CHECK(ms == 250);
  CHECK(lines ==
        std::vector<std::string>{"[INFO] plugin/health: Going into lameduck mode for 250ms"});

  ChainTest minutes(". {\n  health 127.0.0.1:0 {\n    lameduck 1m30s\n  }\n  whoami\n}\n");
  lines = stdout_lines([&] { ms = minutes.config().lifecycle.lameduck_ms(); });
  CHECK(ms == 90000);
  CHECK(lines ==
        std::vector<std::string>{"[INFO] plugin/health: Going into lameduck mode for 1m30s"});
}

TEST_CASE("health: without lameduck the server stops at once, silently", "[health]") {
  ChainTest t(". {\n  health 127.0.0.1:0\n  whoami\n}\n");
  uint64_t ms = 1;
  auto lines = stdout_lines([&] { ms = t.config().lifecycle.lameduck_ms(); });
  CHECK(ms == 0);
  CHECK(lines.empty());
}

TEST_CASE("health: with several blocks the longest lameduck wins", "[health]") {
  ChainTest t(R"(example.org {
    health 127.0.0.1:0 {
        lameduck 1s
    }
    whoami
}
example.net {
    health 127.0.0.1:0 {
        lameduck 3s
    }
    whoami
}
)");
  uint64_t ms = 0;
  stdout_lines([&] { ms = t.config().lifecycle.lameduck_ms(); });
  CHECK(ms == 3000);
}

TEST_CASE("health: probes its own /health once a second into its metrics", "[health]") {
  const uint64_t probes = registry_value("coredns_health_request_duration_seconds_count");
  const uint64_t failures = registry_value("coredns_health_request_failures_total");
  ChainTest t(". {\n  health 127.0.0.1:0\n  whoami\n}\n");
  const auto start = std::chrono::steady_clock::now();
  while (registry_value("coredns_health_request_duration_seconds_count") == probes &&
         std::chrono::steady_clock::now() - start < 3s) {
    t.run_for(20ms);
  }
  CHECK(registry_value("coredns_health_request_duration_seconds_count") == probes + 1);
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);  // the first after a second
  CHECK(registry_value("coredns_health_request_failures_total") == failures);
}

TEST_CASE("health: accepted Corefiles", "[health]") {
  // Each starts on a free loopback port and stops with its ChainTest.
  for (const char* ok : {"health 127.0.0.1:0", "health localhost:0", "health [::1]:0",
                         "health 127.0.0.1:0 {\n    lameduck 4s\n  }"}) {
    CAPTURE(ok);
    CHECK(setup_error(std::string(". {\n  ") + ok + "\n  whoami\n}\n") == "no error");
  }
}

TEST_CASE("health: refused Corefiles name file:line", "[health]") {
  const std::string e = "plugin/health: Corefile:2 - Error during parsing: ";
  const std::string e3 = "plugin/health: Corefile:3 - Error during parsing: ";
  CHECK(setup_error(". {\n  health bla\n  whoami\n}\n") ==
        e + "address bla: missing or bad port in address");
  CHECK(setup_error(". {\n  health bla bla\n  whoami\n}\n") ==
        e + "Wrong argument count or unexpected line ending after 'bla'");
  CHECK(setup_error(". {\n  health 127.0.0.1:0 {\n    lameduck a\n  }\n  whoami\n}\n") ==
        e3 + "unable to parse lameduck duration value: 'a'");
  CHECK(setup_error(". {\n  health 127.0.0.1:0 {\n    lameduck 4\n  }\n  whoami\n}\n") ==
        e3 + "unable to parse lameduck duration value: '4'");
  CHECK(setup_error(". {\n  health 127.0.0.1:0 {\n    lameduck\n  }\n  whoami\n}\n") ==
        e3 + "Wrong argument count or unexpected line ending after 'lameduck'");
  CHECK(setup_error(". {\n  health 127.0.0.1:0 {\n    lamedudk 4s\n  }\n  whoami\n}\n") ==
        e3 + "Wrong argument count or unexpected line ending after 'lamedudk'");
}
