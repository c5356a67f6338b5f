// acl: the first matching rule decides, by source and type; drop answers nothing.
#include <catch2/catch.hpp>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;

TEST_CASE("acl allows, blocks, filters and drops by source and type", "[acl]") {
  ChainTest t(R"(. {
    acl {
        filter type AAAA
        drop net 192.0.2.0/24
        allow net 127.0.0.0/8 10.0.0.0/8
        block
    }
    hosts {
        10.0.0.1 a.example.
        fd00::1 a.example.
    }
})");
  QueryOptions local;
  auto a = t.query("a.example.", "A", local);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.size() == 1);
  auto aaaa = t.query("a.example.", "AAAA", local);
  CHECK(aaaa.rcode == "NOERROR");
  CHECK(aaaa.answer.empty());
  QueryOptions outside;
  outside.client_ip = "198.51.100.7";
  CHECK(t.query("a.example.", "A", outside).rcode == "REFUSED");
  QueryOptions dropped;
  dropped.client_ip = "192.0.2.9";
  dropped.timeout = std::chrono::milliseconds(200);
  CHECK_FALSE(t.query("a.example.", "A", dropped).answered);
}

TEST_CASE("acl zones: names outside them are allowed", "[acl]") {
  ChainTest t(R"(. {
    acl secret.example {
        block
    }
    whoami
})");
  CHECK(t.query("x.secret.example.", "A").rcode == "REFUSED");
  CHECK(t.query("open.example.", "A").rcode == "NOERROR");
}

TEST_CASE("acl setup errors", "[acl]") {
  auto err = [](const char* text) {
    try {
      ChainTest t(text);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err(". {\n  acl {\n    permit\n  }\n  whoami\n}\n") ==
        "plugin/acl: Corefile:3 - Error during parsing: unexpected token 'permit'; expect "
        "'allow', 'block', 'filter' or 'drop'");
  CHECK(err(". {\n  acl {\n    block net 10.0.0.0/40\n  }\n  whoami\n}\n") ==
        "plugin/acl: Corefile:3 - Error during parsing: illegal CIDR notation '10.0.0.0/40'");
  CHECK(err(". {\n  acl {\n    block type NOPE\n  }\n  whoami\n}\n") ==
        "plugin/acl: Corefile:3 - Error during parsing: unexpected token 'NOPE'; expect legal "
        "QTYPE");
}
