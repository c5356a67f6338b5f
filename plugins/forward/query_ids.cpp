#include "plugins/forward/query_ids.h"

#include <openssl/rand.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace cxxdns::plugins::forward {

void RandomIds::refill() {
  if (RAND_bytes(buf_, static_cast<int>(kBatch)) != 1) {
    // OpenSSL could not seed itself: ask the kernel directly (blocks only before the
    // kernel's pool is initialised, at early boot).
    size_t got = 0;
    while (got < kBatch) {
      ssize_t n = getrandom(buf_ + got, kBatch - got, 0);
      if (n > 0)
        got += static_cast<size_t>(n);
      else if (errno != EINTR)
        break;
    }
  }
  pos_ = 0;
}

uint16_t RandomIds::next16() {
  if (pos_ + 2 > kBatch) refill();
  uint16_t v;
  std::memcpy(&v, buf_ + pos_, 2);
  pos_ += 2;
  return v;
}

uint32_t RandomIds::next32() {
  if (pos_ + 4 > kBatch) refill();
  uint32_t v;
  std::memcpy(&v, buf_ + pos_, 4);
  pos_ += 4;
  return v;
}

}  // namespace cxxdns::plugins::forward
