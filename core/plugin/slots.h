// Per-query data that one plugin leaves for another (explain's trace, the error text the
// errors plugin logs): typed slots instead of named fields of the core's context. A slot is
// made the first time a context needs it and kept for the next query of that context (the
// contexts are pooled), so a warm slot costs no allocation; a query that sets none pays one
// branch to ask.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace cxxdns {

namespace detail {
size_t next_slot_id();
}

// One small number per slot type, given out before main() runs.
template <typename T>
inline const size_t slot_id = detail::next_slot_id();

class QuerySlots {
 public:
  // The slot of type T for this query: cleared (T::clear(), or T{}) the first time it is
  // asked for in a query.
  template <typename T>
  T& get() {
    const size_t id = slot_id<T>;
    assert(id < 64 && "more slot types than QuerySlots can track");
    if (id >= slots_.size()) slots_.resize(id + 1);
    auto* h = static_cast<Holder<T>*>(slots_[id].get());
    if (!h) {
      slots_[id] = std::make_unique<Holder<T>>();
      h = static_cast<Holder<T>*>(slots_[id].get());
    } else if (!(live_ >> id & 1)) {
      if constexpr (requires(T & t) { t.clear(); }) {
        h->value.clear();
      } else {
        h->value = T{};
      }
    }
    live_ |= uint64_t{1} << id;
    return h->value;
  }

  // The slot of type T when a plugin set it for this query, else null.
  template <typename T>
  T* find() {
    const size_t id = slot_id<T>;
    if (!(live_ >> id & 1)) return nullptr;
    return &static_cast<Holder<T>*>(slots_[id].get())->value;
  }

  // Forgets what this query set (values are cleared when next asked for).
  void clear() { live_ = 0; }

 private:
  struct Base {
    virtual ~Base() = default;
  };
  template <typename T>
  struct Holder final : Base {
    T value{};
  };
  std::vector<std::unique_ptr<Base>> slots_;
  uint64_t live_ = 0;
};

}  // namespace cxxdns
