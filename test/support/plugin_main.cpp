// The Catch2 main of the plugins' tests: the built-in plugins are what a Corefile names, as
// in the cxxdns binary.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "plugins/builtin.h"

int main(int argc, char* argv[]) {
  cxxdns::Registry::set_default(&cxxdns::plugins::builtin());
  return Catch::Session().run(argc, argv);
}
