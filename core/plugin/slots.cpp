#include "core/plugin/slots.h"

#include <atomic>

namespace cxxdns::detail {

size_t next_slot_id() {
  static std::atomic<size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace cxxdns::detail
