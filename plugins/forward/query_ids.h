// Random numbers for upstream query IDs (and the random policy's order), from a CSPRNG.
//
// An off-path spoofer who can predict the next IDs only has to guess the source port; so
// the IDs come from OpenSSL's RAND_bytes, a DRBG (AES-256-CTR in OpenSSL 3) seeded from the
// kernel (getrandom), reseeded by OpenSSL on its schedule and after fork, kept per thread.
// It is already linked for tls:// upstreams. Bytes are taken in batches of 4 KiB so a query
// costs a copy, not a call (each call has a fixed cost of some thousand instructions: its
// parameter lookups and locking).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace cxxdns::plugins::forward {

class RandomIds {
 public:
  uint16_t next16() {
    if (pos_ + 2 > kBatch) refill();
    uint16_t v;
    std::memcpy(&v, buf_ + pos_, 2);
    pos_ += 2;
    return v;
  }
  uint32_t next32() {
    if (pos_ + 4 > kBatch) refill();
    uint32_t v;
    std::memcpy(&v, buf_ + pos_, 4);
    pos_ += 4;
    return v;
  }

  // A UniformRandomBitGenerator, for std::shuffle.
  using result_type = uint32_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<uint32_t>::max(); }
  result_type operator()() { return next32(); }

 private:
  void refill();
  static constexpr size_t kBatch = 4096;
  uint8_t buf_[kBatch];
  size_t pos_ = kBatch;  // empty until first used
};

}  // namespace cxxdns::plugins::forward
