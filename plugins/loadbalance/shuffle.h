// Shuffling the records of an answer in place, as CoreDNS's loadbalance round_robin.
#pragma once

#include <cstdint>
#include <vector>

namespace cxxdns::plugins {

// A small, fast generator: one per worker, no lock.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  // Uniform enough in [0, n) for small n.
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((next() >> 32) % n); }
};

// Shuffles, in each section of a NOERROR answer (not AXFR/IXFR), the A records of one
// RRset among themselves, the AAAA records likewise, and the MX records. A and AAAA are
// shuffled on the wire by swapping TTL and RDATA, which hold no names, so no compression
// pointer moves; MX RDATA holds a name other records may point into, so an answer with
// two MX or more is parsed and rebuilt with ldns. Returns false when `msg` was left as it
// was because it could not be read.
bool shuffle_answer(std::vector<uint8_t>& msg, Rng& rng);

}  // namespace cxxdns::plugins
