// The Catch2 main of the micro benchmarks (operator new, counted, is in
// test/support/allocation_count.cpp).
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
