// cache: hits, misses, TTL aging and caps, keys, prefetch, serve_stale, eviction.
#include <catch2/catch.hpp>

#include "plugins/cache/cache_fixture.h"

using cache_test::advance;
using cache_test::Fixture;
using cache_test::script;
using cache_test::ttl_of;
using cxxdns::testing::QueryOptions;

TEST_CASE("cache: second query is a hit, TTL ages by the clock", "[cache]") {
  Fixture f("cache");
  auto a = f.q("a.example.org.");
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.answer.size() == 1);
  CHECK(ttl_of(a.answer[0]) == 300);
  CHECK(script.calls == 1);
  CHECK(f.cache->misses() == 1);
  CHECK(f.cache->entries_success() == 1);

  advance(100);
  auto b = f.q("a.example.org.");
  CHECK(script.calls == 1);
  CHECK(f.cache->hits_success() == 1);
  REQUIRE(b.answer.size() == 1);
  CHECK(ttl_of(b.answer[0]) == 200);
  CHECK(b.answer[0].substr(b.answer[0].rfind('\t') + 1) == "10.0.0.1");
  CHECK(b.id == 0x1234);

  advance(200);  // expired
  auto c = f.q("a.example.org.");
  CHECK(script.calls == 2);
  CHECK(ttl_of(c.answer[0]) == 300);
  CHECK(f.cache->misses() == 2);
}

TEST_CASE("cache: the reply ID is the asker's", "[cache]") {
  Fixture f("cache");
  f.q("a.example.org.");
  QueryOptions o;
  o.id = 0xbeef;
  auto b = f.q("a.example.org.", "A", o);
  CHECK(script.calls == 1);
  CHECK(b.id == 0xbeef);
}

TEST_CASE("cache: TTL caps and floors", "[cache]") {
  SECTION("default max 3600") {
    Fixture f("cache");
    script.ttl = 100000;
    CHECK(ttl_of(f.q("a.example.org.").answer[0]) == 3600);
    advance(3599);
    CHECK(ttl_of(f.q("a.example.org.").answer[0]) == 1);
    CHECK(script.calls == 1);
    advance(1);
    f.q("a.example.org.");
    CHECK(script.calls == 2);
  }
  SECTION("cache TTL argument") {
    Fixture f("cache 30");
    CHECK(ttl_of(f.q("a.example.org.").answer[0]) == 30);
    advance(31);
    f.q("a.example.org.");
    CHECK(script.calls == 2);
  }
  SECTION("min TTL 5 by default, settable") {
    Fixture f("cache");
    script.ttl = 1;
    CHECK(ttl_of(f.q("a.example.org.").answer[0]) == 5);
    advance(4);
    CHECK(ttl_of(f.q("a.example.org.").answer[0]) == 1);
    CHECK(script.calls == 1);
    Fixture g("cache {\nsuccess 9984 3600 0\n}");
    script.ttl = 1;
    CHECK(ttl_of(g.q("a.example.org.").answer[0]) == 1);
    advance(2);
    g.q("a.example.org.");
    CHECK(script.calls == 2);
  }
}

TEST_CASE("cache: denial TTL from the SOA, capped at 1800", "[cache]") {
  Fixture f("cache");
  script.rcode = 3;
  script.soa = true;
  script.soa_ttl = 60, script.soa_min = 30;
  auto a = f.q("nx.example.org.");
  REQUIRE(a.rcode == "NXDOMAIN");
  REQUIRE(a.authority.size() == 1);
  CHECK(ttl_of(a.authority[0]) == 30);
  advance(10);
  auto b = f.q("nx.example.org.");
  CHECK(b.rcode == "NXDOMAIN");
  CHECK(ttl_of(b.authority[0]) == 20);
  CHECK(script.calls == 1);
  CHECK(f.cache->hits_denial() == 1);
  CHECK(f.cache->entries_denial() == 1);
  CHECK(f.cache->entries_success() == 0);

  script.soa_ttl = script.soa_min = 50000;
  script.rcode = 0;  // NODATA
  auto c = f.q("nodata.example.org.", "AAAA");
  CHECK(c.rcode == "NOERROR");
  CHECK(ttl_of(c.authority[0]) == 1800);
  CHECK(f.cache->entries_denial() == 2);
}

TEST_CASE("cache: SERVFAIL cached for the servfail duration", "[cache]") {
  {
    Fixture f("cache");
    script.rcode = 2;
    CHECK(f.q("a.example.org.").rcode == "SERVFAIL");
    advance(4);
    CHECK(f.q("a.example.org.").rcode == "SERVFAIL");
    CHECK(script.calls == 1);
    advance(2);
    f.q("a.example.org.");
    CHECK(script.calls == 2);
  }
  {
    Fixture f("cache {\nservfail 0\n}");
    script.rcode = 2;
    f.q("a.example.org.");
    f.q("a.example.org.");
    CHECK(script.calls == 2);
  }
}

TEST_CASE("cache: truncated answers are not cached", "[cache]") {
  Fixture f("cache");
  script.tc = true;
  f.q("a.example.org.");
  f.q("a.example.org.");
  CHECK(script.calls == 2);
  CHECK(f.cache->entries_success() == 0);
}

TEST_CASE("cache: the asker's name case is restored", "[cache]") {
  Fixture f("cache");
  f.q("www.example.org.");
  auto b = f.q("WwW.ExAmple.ORG.");
  CHECK(script.calls == 1);
  REQUIRE(b.answer.size() == 1);
  CHECK(b.answer[0].rfind("WwW.ExAmple.ORG.\t", 0) == 0);
  CHECK(std::string(b.wire.begin() + 13, b.wire.begin() + 16) == "WwW");
}

TEST_CASE("cache: DO and CD bits are part of the key, type and class too", "[cache]") {
  Fixture f("cache");
  QueryOptions plain, do_bit, cd;
  do_bit.bufsize = 1232, do_bit.do_bit = true;
  cd.cd = true;
  f.q("a.example.org.", "A", plain);
  f.q("a.example.org.", "A", do_bit);
  f.q("a.example.org.", "A", cd);
  f.q("a.example.org.", "AAAA", plain);
  CHECK(script.calls == 4);
  f.q("a.example.org.", "A", plain);
  auto d = f.q("a.example.org.", "A", do_bit);
  f.q("a.example.org.", "A", cd);
  f.q("a.example.org.", "AAAA", plain);
  CHECK(script.calls == 4);
  CHECK(d.has_opt);
  // A hit for a query without EDNS carries no OPT, one with EDNS has it (server finalizes).
  QueryOptions edns;
  edns.bufsize = 1232;
  CHECK_FALSE(f.q("a.example.org.", "A", plain).has_opt);
  CHECK(f.q("a.example.org.", "A", edns).has_opt);
  CHECK(script.calls == 4);
}

TEST_CASE("cache: a hit too large for the asker's UDP size is truncated, TC set", "[cache]") {
  Fixture f("cache");
  script.records = 60;  // more than 512 bytes whatever the compression
  QueryOptions big, plain, tcp;
  big.bufsize = 4096;
  tcp.tcp = true;
  auto first = f.q("big.example.org.", "A", big);
  CHECK(first.answer.size() == 60);
  auto small = f.q("big.example.org.", "A", plain);  // a hit, 512 bytes at most
  CHECK(script.calls == 1);
  CHECK(small.tc());
  CHECK(small.answer.size() < 60);
  CHECK(small.wire.size() <= 512);
  CHECK_FALSE(small.has_opt);
  auto whole = f.q("big.example.org.", "A", big);
  CHECK_FALSE(whole.tc());
  CHECK(whole.answer.size() == 60);
  CHECK(whole.has_opt);
  // Stored from a query with EDNS; a TCP asker without it gets everything and no OPT.
  auto over_tcp = f.q("big.example.org.", "A", tcp);
  CHECK(script.calls == 1);
  CHECK_FALSE(over_tcp.tc());
  CHECK(over_tcp.answer.size() == 60);
  CHECK_FALSE(over_tcp.has_opt);
}

TEST_CASE("cache: only its zones, disable per type", "[cache]") {
  {
    Fixture f("cache sub.example.org");
    f.q("a.example.org.");
    f.q("a.example.org.");
    CHECK(script.calls == 2);
    f.q("a.sub.example.org.");
    f.q("a.sub.example.org.");
    CHECK(script.calls == 3);
  }
  {
    Fixture f("cache {\ndisable success\n}");
    f.q("a.example.org.");
    f.q("a.example.org.");
    CHECK(script.calls == 2);
    script.rcode = 3, script.soa = true;
    f.q("nx.example.org.");
    f.q("nx.example.org.");
    CHECK(script.calls == 3);
  }
}

TEST_CASE("cache: keepttl serves the stored TTL", "[cache]") {
  Fixture f("cache {\nkeepttl\n}");
  f.q("a.example.org.");
  advance(100);
  auto b = f.q("a.example.org.");
  CHECK(script.calls == 1);
  CHECK(ttl_of(b.answer[0]) == 300);
}

TEST_CASE("cache: prefetch refreshes a popular entry near expiry", "[cache]") {
  Fixture f("cache {\nprefetch 2 1m 50%\n}");
  script.ttl = 100;
  f.q("a.example.org.");
  advance(55);  // 45 s left: below 50%, but only one hit
  f.q("a.example.org.");
  CHECK(script.calls == 1);
  CHECK(f.cache->prefetches() == 0);
  script.last_octet = 2;
  advance(1);  // second hit within the window: refresh
  auto b = f.q("a.example.org.");
  CHECK(b.answer[0].substr(b.answer[0].rfind('\t') + 1) == "10.0.0.1");  // served from cache
  CHECK(script.calls == 2);
  CHECK(f.cache->prefetches() == 1);
  advance(1);
  auto c = f.q("a.example.org.");
  CHECK(script.calls == 2);
  CHECK(ttl_of(c.answer[0]) == 99);
  CHECK(c.answer[0].substr(c.answer[0].rfind('\t') + 1) == "10.0.0.2");
}

TEST_CASE("cache: prefetch needs hits without gaps of the window", "[cache]") {
  Fixture f("cache {\nprefetch 2 10s 50%\n}");
  script.ttl = 100;
  f.q("a.example.org.");
  advance(55);
  f.q("a.example.org.");
  advance(11);  // a gap of the window: the count starts again
  f.q("a.example.org.");
  CHECK(script.calls == 1);
  CHECK(f.cache->prefetches() == 0);
}

TEST_CASE("cache: serve_stale immediate serves TTL 0 and refreshes", "[cache]") {
  Fixture f("cache {\nserve_stale 1m\n}");
  script.ttl = 10;
  f.q("a.example.org.");
  advance(30);
  script.last_octet = 2;
  auto b = f.q("a.example.org.");
  REQUIRE(b.answer.size() == 1);
  CHECK(ttl_of(b.answer[0]) == 0);
  CHECK(b.answer[0].substr(b.answer[0].rfind('\t') + 1) == "10.0.0.1");
  CHECK(f.cache->served_stale() == 1);
  CHECK(script.calls == 2);  // the background refresh
  auto c = f.q("a.example.org.");
  CHECK(ttl_of(c.answer[0]) == 10);
  CHECK(c.answer[0].substr(c.answer[0].rfind('\t') + 1) == "10.0.0.2");
  CHECK(script.calls == 2);

  advance(100);  // stale beyond 1m: a miss
  f.q("a.example.org.");
  CHECK(script.calls == 3);
  CHECK(f.cache->served_stale() == 1);
}

TEST_CASE("cache: without serve_stale an expired entry is a miss", "[cache]") {
  Fixture f("cache");
  script.ttl = 10;
  f.q("a.example.org.");
  advance(11);
  script.rcode = 2;
  CHECK(f.q("a.example.org.").rcode == "SERVFAIL");
  CHECK(f.cache->served_stale() == 0);
}

TEST_CASE("cache: serve_stale verify asks upstream first", "[cache]") {
  Fixture f("cache {\nserve_stale 1h verify\n}");
  script.ttl = 10;
  f.q("a.example.org.");
  advance(20);
  script.rcode = 2;  // upstream fails: stale answer
  auto b = f.q("a.example.org.");
  CHECK(script.calls == 2);
  CHECK(b.rcode == "NOERROR");
  REQUIRE(b.answer.size() == 1);
  CHECK(ttl_of(b.answer[0]) == 0);
  CHECK(f.cache->served_stale() == 1);
  script.rcode = 0, script.last_octet = 2;  // upstream back: fresh answer
  auto c = f.q("a.example.org.");
  CHECK(script.calls == 3);
  CHECK(ttl_of(c.answer[0]) == 10);
  CHECK(c.answer[0].substr(c.answer[0].rfind('\t') + 1) == "10.0.0.2");
  CHECK(f.cache->served_stale() == 1);
}

TEST_CASE("cache: a full cache evicts", "[cache]") {
  Fixture f("cache {\nsuccess 64\n}");  // one entry per shard
  REQUIRE(f.cache->capacity_success() == 64);
  for (int i = 0; i < 300; ++i) {
    std::string name = "n";  // built by appending: GCC 12 warns falsely on a + b + c here
    name += std::to_string(i);
    f.q(name + ".example.org.");
  }
  CHECK(f.cache->entries_success() <= 64);
  CHECK(f.cache->entries_success() > 32);
  CHECK(f.cache->evictions_success() >= 300 - 64);
  CHECK(f.cache->evictions_success() == 300 - f.cache->entries_success());
  // The most recent answer is still there.
  int calls = script.calls;
  f.q("n299.example.org.");
  CHECK(script.calls == calls);
}

TEST_CASE("cache: a failed refresh keeps the stale entry", "[cache]") {
  Fixture f("cache {\nserve_stale 1h\n}");
  script.ttl = 10;
  f.q("a.example.org.");
  advance(20);
  script.rcode = 2;  // upstream down
  for (int i = 1; i <= 3; ++i) {
    auto b = f.q("a.example.org.");
    CHECK(b.rcode == "NOERROR");
    REQUIRE(b.answer.size() == 1);
    CHECK(ttl_of(b.answer[0]) == 0);
    CHECK(script.calls == 1 + i);  // each stale hit tries a refresh again
  }
  CHECK(f.cache->served_stale() == 3);
  CHECK(f.cache->entries_denial() == 0);
}

TEST_CASE("cache: a failed prefetch keeps the entry", "[cache]") {
  Fixture f("cache {\nprefetch 1 1m 50%\n}");
  script.ttl = 100;
  f.q("a.example.org.");
  advance(60);
  script.rcode = 2;
  f.q("a.example.org.");  // prefetch goes out and fails
  CHECK(script.calls == 2);
  CHECK(f.cache->prefetches() == 1);
  auto c = f.q("a.example.org.");
  CHECK(c.rcode == "NOERROR");
  CHECK(ttl_of(c.answer[0]) == 40);
}

TEST_CASE("cache: an answer to another question is dropped, requests counted", "[cache]") {
  Fixture f("cache");
  script.other_question = true;
  f.q("a.example.org.");
  f.q("a.example.org.");
  CHECK(script.calls == 2);
  CHECK(f.cache->drops() == 2);
  CHECK(f.cache->entries_success() + f.cache->entries_denial() == 0);
  script.other_question = false;
  f.q("a.example.org.");
  f.q("a.example.org.");
  CHECK(f.cache->drops() == 2);
  CHECK(f.cache->requests() == 4);
  CHECK(f.cache->misses() == 3);
}
