// Snapshot<T>: immutable data (a hosts table, a cluster state) swapped whole, read on the
// query path with one atomic load. Each worker keeps its own reference to the current
// version, refreshed only when the version changes, so readers never share a lock or a
// reference count with each other.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace cxxdns {

template <typename T>
class Snapshot {
 public:
  explicit Snapshot(int workers = 64) : slots_(workers < 1 ? 1 : workers) {}

  // Swaps in a new version; old versions go away when the last worker moves on.
  void publish(std::shared_ptr<const T> value) {
    std::lock_guard lock(mu_);
    current_ = std::move(value);
    version_.fetch_add(1, std::memory_order_release);
  }

  // The current version for worker `index` (0 <= index < workers). Null before a publish.
  const T* get(int index) {
    Slot& s = slots_[static_cast<size_t>(index) % slots_.size()];
    uint64_t v = version_.load(std::memory_order_acquire);
    if (s.version != v) {
      std::lock_guard lock(mu_);
      s.value = current_;
      s.version = version_.load(std::memory_order_relaxed);
    }
    return s.value.get();
  }

  // Any thread, at a lock's cost: for setup, tests and metrics.
  std::shared_ptr<const T> current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

 private:
  struct alignas(64) Slot {
    uint64_t version = 0;
    std::shared_ptr<const T> value;
  };
  mutable std::mutex mu_;
  std::shared_ptr<const T> current_;
  std::atomic<uint64_t> version_{0};
  std::vector<Slot> slots_;
};

}  // namespace cxxdns
