// The Catch2 main of the core's tests: no plugin is linked in.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
