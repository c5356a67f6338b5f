#include <catch2/catch.hpp>

#include "plugins/fakeip/filter.h"

using cxxdns::plugins::Filter;

TEST_CASE("fakeip filter: exact name", "[fakeip]") {
  Filter f;
  REQUIRE(f.add("Example.com").empty());
  CHECK(f.match("example.com."));
  CHECK_FALSE(f.match("www.example.com."));
  CHECK_FALSE(f.match("com."));
  CHECK_FALSE(f.match("badexample.com."));
}

TEST_CASE("fakeip filter: *. matches exactly one label below", "[fakeip]") {
  Filter f;
  REQUIRE(f.add("*.example.com").empty());
  CHECK(f.match("www.example.com."));
  CHECK_FALSE(f.match("example.com."));
  CHECK_FALSE(f.match("a.www.example.com."));
  CHECK_FALSE(f.match("wwwexample.com."));
}

TEST_CASE("fakeip filter: +. matches the name and all below", "[fakeip]") {
  Filter f;
  REQUIRE(f.add("+.example.com.").empty());
  CHECK(f.match("example.com."));
  CHECK(f.match("www.example.com."));
  CHECK(f.match("a.b.c.example.com."));
  CHECK_FALSE(f.match("com."));
  CHECK_FALSE(f.match("notexample.com."));
}

TEST_CASE("fakeip filter: leading dot matches all below only", "[fakeip]") {
  Filter f;
  REQUIRE(f.add(".example.com").empty());
  CHECK_FALSE(f.match("example.com."));
  CHECK(f.match("www.example.com."));
  CHECK(f.match("a.b.example.com."));
  CHECK_FALSE(f.match("xexample.com."));
}

TEST_CASE("fakeip filter: several patterns together, empty filter matches nothing", "[fakeip]") {
  Filter f;
  CHECK(f.empty());
  CHECK_FALSE(f.match("example.com."));
  REQUIRE(f.add("lan").empty());
  REQUIRE(f.add("+.local").empty());
  CHECK(f.match("lan."));
  CHECK_FALSE(f.match("host.lan."));
  CHECK(f.match("printer.local."));
  CHECK_FALSE(f.match("example.com."));
}

TEST_CASE("fakeip filter: bad patterns are rejected", "[fakeip]") {
  Filter f;
  for (const char* bad : {"", ".", "*.", "+.", "..example.com", "a.*.example.com", "*example.com",
                          "+example.com", "*", "a..b"}) {
    INFO(bad);
    CHECK_FALSE(f.add(bad).empty());
  }
  CHECK(f.empty());
}
