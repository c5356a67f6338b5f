// corefile::parse: the text of a typical gateway Corefile into server blocks (start, reload).
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include "core/corefile/corefile.h"

TEST_CASE("Corefile parse", "[micro]") {
  const std::string text = R"(
(common) {
    log
    errors
}
example.org:1053 {
    import common
    bind 127.0.0.1
    hosts {
        10.0.0.1 a.example.org
        10.0.0.2 b.example.org
        fallthrough
    }
    cache 300 {
        success 10000
        denial 2000 60
        prefetch 10 1m 10%
    }
    forward . 127.0.0.1:5300 127.0.0.1:5301 {
        policy round_robin
        max_fails 3
    }
}
.:1053 {
    import common
    bind 127.0.0.1
    fakeip {
        range 198.18.0.0/15
        ttl 1
        filter +.lan *.local
    }
    forward . 127.0.0.1:5300
}
)";
  auto blocks = cxxdns::corefile::parse(text, "Corefile");
  REQUIRE(blocks.size() == 2);

  BENCHMARK("corefile::parse (2 blocks, snippet, 6 plugins)") {
    return cxxdns::corefile::parse(text, "Corefile").size();
  };
}
