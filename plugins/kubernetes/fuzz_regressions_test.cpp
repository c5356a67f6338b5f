// Inputs the fuzz targets (test/fuzz) found to break the state file parser, kept inline
// with the fix they led to.
#include <catch2/catch.hpp>
#include <string>

#include "plugins/kubernetes/state_file.h"

using Catch::Matchers::Contains;

TEST_CASE("k8s state: a number too large for a double is an error, not an exception",
          "[fuzz_regressions]") {
  // fuzz_k8s_state: nlohmann throws out_of_range (406), not parse_error, for this; it
  // escaped parse_state and would have ended the server on a file reload.
  const std::string text =
      "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"kind\":\"Service\","
      "\"metadata\":{\"name\":[{\"name\":    44444444e44468444<Se ite/sCP\"}]}}]}";
  cxxdns::plugins::k8s::ClusterState st;
  std::string error;
  bool ok = true;
  REQUIRE_NOTHROW(ok = cxxdns::plugins::k8s::parse_state(text, st, error));
  CHECK_FALSE(ok);
  CHECK_THAT(error, Contains("number overflow"));
  REQUIRE_NOTHROW(ok = cxxdns::plugins::k8s::parse_state("{\"items\": [1e999]}", st, error));
  CHECK_FALSE(ok);
}
