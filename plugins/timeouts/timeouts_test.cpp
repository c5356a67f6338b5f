// timeouts: the TCP read, write and idle timeouts of a block's listeners, as CoreDNS's
// timeouts (each between 1 second and 24 hours).
#include <catch2/catch.hpp>

#include "core/plugin/setup.h"
#include "core/plugin/testing.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::setup_error;

namespace {

// The TCP timeouts (read, write, idle, in ms) of the only listener of `corefile`.
std::vector<uint64_t> timeouts_of(const std::string& corefile) {
  ChainTest t(corefile);
  REQUIRE(t.config().listeners.size() == 1);
  const auto& to = t.config().listeners[0].tcp_timeouts;
  return {to.read_ms, to.write_ms, to.idle_ms};
}

std::string block(const std::string& timeouts) {
  return ".:1053 {\n  " + timeouts + "\n  whoami\n}\n";
}

const std::string kError = "plugin/timeouts: Corefile:";

}  // namespace

TEST_CASE("timeouts: CoreDNS's defaults without the plugin", "[timeouts]") {
  CHECK(timeouts_of(".:1053 {\n  whoami\n}\n") == std::vector<uint64_t>{3000, 5000, 10000});
}

TEST_CASE("timeouts: each one set, the others keep their defaults", "[timeouts]") {
  CHECK(timeouts_of(block("timeouts {\n    read 30s\n  }")) ==
        std::vector<uint64_t>{30000, 5000, 10000});
  CHECK(timeouts_of(block("timeouts {\n    read 1m\n    write 2m\n  }")) ==
        std::vector<uint64_t>{60000, 120000, 10000});
  CHECK(timeouts_of(block("timeouts {\n    idle 1h\n  }")) ==
        std::vector<uint64_t>{3000, 5000, 3600000});
  CHECK(timeouts_of(block("timeouts {\n    read 1.5s\n    write 90s\n    idle 1m30s\n  }")) ==
        std::vector<uint64_t>{1500, 90000, 90000});
}

TEST_CASE("timeouts: the bounds are 1 second and 24 hours, both allowed", "[timeouts]") {
  CHECK(timeouts_of(block("timeouts {\n    read 1s\n    idle 24h\n  }")) ==
        std::vector<uint64_t>{1000, 5000, 86400000});
  CHECK(setup_error(block("timeouts {\n    idle 0s\n  }")) ==
        kError +
            "3 - Error during parsing: timeout provided '0s' needs to be between 1 second and "
            "24 hours");
  CHECK(setup_error(block("timeouts {\n    read 999ms\n  }")) ==
        kError +
            "3 - Error during parsing: timeout provided '999ms' needs to be between 1 second "
            "and 24 hours");
  CHECK(setup_error(block("timeouts {\n    write 48h\n  }")) ==
        kError +
            "3 - Error during parsing: timeout provided '48h' needs to be between 1 second and "
            "24 hours");
  CHECK(setup_error(block("timeouts {\n    write 24h0m1s\n  }")).find("needs to be between") !=
        std::string::npos);
}

TEST_CASE("timeouts: every listener of the block gets them", "[timeouts]") {
  ChainTest t(R"(example.org:1053 example.net:2053 {
    bind 127.0.0.1 ::1
    timeouts {
        idle 60s
    }
    whoami
})");
  REQUIRE(t.config().listeners.size() == 4);
  for (auto& l : t.config().listeners) CHECK(l.tcp_timeouts.idle_ms == 60000);
  // It only configures the listeners: no handler in the chain.
  CHECK(t.plugin("timeouts") == nullptr);
  CHECK(t.query("example.org.", "A").rcode == "NOERROR");
}

TEST_CASE("timeouts: blocks on their own addresses keep their own", "[timeouts]") {
  ChainTest t(R"(example.org:1053 {
    timeouts {
        read 20s
    }
    whoami
}
example.net:2053 {
    whoami
}
)");
  REQUIRE(t.config().listeners.size() == 2);
  for (auto& l : t.config().listeners)
    CHECK(l.tcp_timeouts.read_ms == (l.port == 1053 ? 20000 : 3000));
}

// README: "When several blocks share an address, the first block on it that sets timeouts
// decides" (CoreDNS: any block of the address that sets one, field by field). The listener
// takes the first block's timeouts whether or not it set any (core/plugin/config.cpp,
// build_config: `if (l.routes.empty()) l.tcp_timeouts = b->tcp_timeouts;`), so a second
// block's timeouts are lost.
TEST_CASE("timeouts: a later block on a shared address that sets them is heard",
          "[timeouts][!shouldfail]") {
  ChainTest t(R"(a.example:1053 {
    whoami
}
b.example:1053 {
    timeouts {
        idle 60s
    }
    whoami
}
)");
  REQUIRE(t.config().listeners.size() == 1);
  CHECK(t.config().listeners[0].tcp_timeouts.idle_ms == 60000);
}

// CoreDNS reads a duration without a unit as seconds (durations.NewDurationFromArg: its own
// test accepts `read 10`, `write 20`, `idle 60`). cxxdns refuses it: plugins/timeouts/setup.cpp
// parses with SetupContext::parse_duration, Go's time.ParseDuration syntax only.
TEST_CASE("timeouts: a number without unit is seconds (CoreDNS)", "[timeouts][!shouldfail]") {
  CHECK(timeouts_of(block("timeouts {\n    read 10\n    write 20\n    idle 60\n  }")) ==
        std::vector<uint64_t>{10000, 20000, 60000});
}

TEST_CASE("timeouts: refused Corefiles name file:line", "[timeouts]") {
  CHECK(setup_error(block("timeouts")) ==
        kError + "2 - Error during parsing: timeouts requires at least one of read, write or idle");
  CHECK(setup_error(block("timeouts {\n  }")) ==
        kError + "2 - Error during parsing: timeouts requires at least one of read, write or idle");
  CHECK(setup_error(block("timeouts {\n    read 10s\n    giraffe 30s\n  }")) ==
        kError + "4 - Error during parsing: unknown property 'giraffe'");
  CHECK(setup_error(block("timeouts {\n    read 10s 20s\n    write 30s\n  }")) ==
        kError +
            "3 - Error during parsing: Wrong argument count or unexpected line ending after "
            "'read'");
  CHECK(setup_error(block("timeouts {\n    idle\n  }")) ==
        kError +
            "3 - Error during parsing: Wrong argument count or unexpected line ending after "
            "'idle'");
  CHECK(setup_error(block("timeouts {\n    write snake\n  }")) ==
        kError + "3 - Error during parsing: invalid duration 'snake'");
  CHECK(setup_error(block("timeouts 10s {\n    read 10s\n  }")) ==
        kError +
            "2 - Error during parsing: Wrong argument count or unexpected line ending after "
            "'10s'");
  CHECK(setup_error(block("timeouts {\n    read 10s\n  }\n  timeouts {\n    idle 10s\n  }")) ==
        kError + "5 - Error during parsing: this plugin can only be used once per Server Block");
}
