#include "plugins/forward/query_ids.h"

#include <openssl/rand.h>
#include <sys/random.h>

#include <cerrno>

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

}  // namespace cxxdns::plugins::forward
