// cache: Corefile syntax, defaults and errors (file:line).
#include <catch2/catch.hpp>

#include "core/plugin/config.h"
#include "core/plugin/setup.h"
#include "plugins/cache/cache_fixture.h"

using cxxdns::plugins::cache::Cache;
using cxxdns::plugins::cache::CacheConfig;
using cxxdns::plugins::cache::StaleMode;

namespace {

CacheConfig parse(const std::string& block, const std::string& zone = "example.org") {
  auto cfg = cxxdns::load_config_text(zone + " {\n" + block + "\nupstream\n}\n", "Corefile",
                                      cache_test::options());
  for (auto* p : cfg->plugins()) {
    if (p->name() == "cache") return static_cast<Cache*>(p)->config();
  }
  throw std::runtime_error("no cache plugin");
}

std::string error_of(const std::string& block) {
  try {
    parse(block);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("cache: defaults as CoreDNS", "[cache]") {
  CacheConfig c = parse("cache");
  CHECK(c.zones == std::vector<std::string>{"example.org."});
  CHECK(c.success.capacity == 9984);
  CHECK(c.denial.capacity == 9984);
  CHECK(c.success.max_ttl == 3600);
  CHECK(c.denial.max_ttl == 1800);
  CHECK(c.success.min_ttl == 5);
  CHECK(c.denial.min_ttl == 5);
  CHECK(c.servfail_ttl == 5);
  CHECK(c.prefetch_amount == 0);
  CHECK(c.stale_ns == 0);
  CHECK_FALSE(c.keepttl);
}

TEST_CASE("cache: TTL and zones arguments", "[cache]") {
  CacheConfig c = parse("cache 300 a.example.org B.example.org");
  CHECK(c.success.max_ttl == 300);
  CHECK(c.denial.max_ttl == 300);
  CHECK(c.zones == std::vector<std::string>{"a.example.org.", "b.example.org."});
  CacheConfig z = parse("cache sub.example.org");
  CHECK(z.success.max_ttl == 3600);
  CHECK(z.zones == std::vector<std::string>{"sub.example.org."});
}

TEST_CASE("cache: block options", "[cache]") {
  CacheConfig c = parse(R"(cache {
    success 5000 600 10
    denial 2500 60 0
    prefetch 3 2m 20%
    serve_stale 30m verify
    servfail 10s
    disable denial sub.example.org
    keepttl
  })");
  CHECK(c.success.capacity == 5000);
  CHECK(c.success.max_ttl == 600);
  CHECK(c.success.min_ttl == 10);
  CHECK(c.denial.capacity == 2500);
  CHECK(c.denial.max_ttl == 60);
  CHECK(c.denial.min_ttl == 0);
  CHECK(c.prefetch_amount == 3);
  CHECK(c.prefetch_duration_ns == 120 * cache_test::kSec);
  CHECK(c.prefetch_percentage == 20);
  CHECK(c.stale_ns == 1800 * cache_test::kSec);
  CHECK(c.stale_mode == StaleMode::verify);
  CHECK(c.servfail_ttl == 10);
  CHECK(c.denial.disabled_zones == std::vector<std::string>{"sub.example.org."});
  CHECK(c.success.disabled_zones.empty());
  CHECK(c.keepttl);

  CacheConfig d = parse("cache {\nprefetch 2\nserve_stale\n}");
  CHECK(d.prefetch_amount == 2);
  CHECK(d.prefetch_duration_ns == 60 * cache_test::kSec);
  CHECK(d.prefetch_percentage == 10);
  CHECK(d.stale_ns == 3600 * cache_test::kSec);
  CHECK(d.stale_mode == StaleMode::immediate);
  CHECK(parse("cache {\nservfail 0\n}").servfail_ttl == 0);
  CHECK(parse("cache {\ndisable success\n}").success.disabled_zones ==
        std::vector<std::string>{"example.org."});
}

TEST_CASE("cache: bad values are errors at their line", "[cache]") {
  const std::string prefix = "plugin/cache: Corefile:";
  auto check = [&](const std::string& block, int line, const std::string& msg) {
    INFO(block);
    std::string e = error_of(block);
    CHECK(e.find(prefix + std::to_string(line) + " - Error during parsing: ") != std::string::npos);
    CHECK(e.find(msg) != std::string::npos);
  };
  check("cache 0", 2, "cache TTL can not be zero or negative: 0");
  check("cache -5", 2, "cache TTL can not be zero or negative");
  check("cache {\nsuccess\n}", 3, "Wrong argument count");
  check("cache {\nsuccess abc\n}", 3, "invalid syntax");
  check("cache {\nsuccess 100 0\n}", 3, "cache TTL can not be zero or negative");
  check("cache {\ndenial 100 10 -1\n}", 3, "cache min TTL can not be negative");
  check("cache {\nprefetch\n}", 3, "Wrong argument count");
  check("cache {\nprefetch -1\n}", 3, "prefetch amount should be positive");
  check("cache {\nprefetch 1 1m 10\n}", 3, "last character of percentage should be");
  check("cache {\nprefetch 1 1m 5%\n}", 3, "percentage should fall in range [10, 90]: 5");
  check("cache {\nprefetch 1 xyz\n}", 3, "");
  check("cache {\nserve_stale 1h sometimes\n}", 3, "invalid value for serve_stale refresh mode");
  check("cache {\nserve_stale -1h\n}", 3, "invalid negative duration for serve_stale");
  check("cache {\nservfail 6m\n}", 3, "caching SERVFAIL responses over 5 minutes is not permitted");
  check("cache {\nservfail -1s\n}", 3, "invalid negative ttl for servfail");
  check("cache {\nservfail\n}", 3, "Wrong argument count");
  check("cache {\ndisable everything\n}", 3, "cache type for disable must be success or denial");
  check("cache {\nkeepttl yes\n}", 3, "Wrong argument count");
  check("cache {\n\nbogus 1\n}", 4, "unknown property 'bogus'");
  CHECK_FALSE(error_of("cache\ncache").empty());
}

TEST_CASE("cache: max_bytes bounds the cache in bytes", "[cache]") {
  CHECK(parse("cache").max_bytes == size_t(64) << 20);
  CHECK(parse("cache {\n max_bytes 8M\n}").max_bytes == size_t(8) << 20);
  CHECK(parse("cache {\n max_bytes 512k\n}").max_bytes == size_t(512) << 10);
  CHECK(parse("cache {\n max_bytes 1G\n}").max_bytes == size_t(1) << 30);
  CHECK(parse("cache {\n max_bytes 100000\n}").max_bytes == 100000);
  CHECK(error_of("cache {\n max_bytes 10x\n}").find("invalid size '10x'") != std::string::npos);
  CHECK(error_of("cache {\n max_bytes 1K\n}").find("at least 64K") != std::string::npos);
  CHECK(error_of("cache {\n max_bytes\n}").find("Corefile:3") != std::string::npos);
}
