// Shared by the micro benchmarks: the query they send. Chains run through
// cxxdns::testing::ChainRunner; allocations are counted with test/support/allocation_count.h.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dns/constants.h"
#include "core/plugin/testing.h"

namespace micro {

// An A query with EDNS (1232), as resolvers send them.
inline std::vector<uint8_t> query(const char* name) {
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  return cxxdns::testing::make_query(name, cxxdns::dns::type::A, o);
}

}  // namespace micro
