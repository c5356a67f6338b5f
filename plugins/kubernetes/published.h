// Published<T>: the current version of data that changes in place (the kubernetes index),
// read on the query path with no lock, and the memory of older versions freed as soon as
// no reader can still be on them.
//
// Readers (any thread): `auto r = p.read(worker); const T* v = r.get();` holds version `v`
// until `r` goes out of scope (the end of one query). Each reader announces the version it
// reads in a slot of its own (a hazard pointer: one compare-and-swap, then a check that the
// version is still current); nothing is counted or locked.
//
// The writer (one at a time; the caller serializes): publish(root, garbage) makes `root`
// current; `garbage` (what it no longer reaches: replaced nodes, the previous root) is freed
// when every slot is empty or holds a version at least as new. A query holds a slot for
// microseconds, so that is nearly always at once; otherwise at the next publish or reclaim()
// (the plugin calls it every second). The writer never waits for readers.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "plugins/kubernetes/pmap.h"

namespace cxxdns::plugins::k8s {

template <typename T>
class Published {
 public:
  // `readers`: how many threads may read at once (the workers); a few more slots are kept for
  // the control thread and tests.
  explicit Published(int readers) : slots_(static_cast<size_t>(readers < 1 ? 1 : readers) + 3) {}
  ~Published() {
    for (auto& b : pending_) b.garbage.free_all();
  }
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  class Reading {
   public:
    Reading() = default;
    Reading(std::atomic<const T*>* slot, const T* v) : slot_(slot), v_(v) {}
    Reading(Reading&& o) noexcept : slot_(o.slot_), v_(o.v_) { o.slot_ = nullptr; }
    Reading& operator=(Reading&&) = delete;
    ~Reading() {
      if (slot_) slot_->store(nullptr, std::memory_order_release);
    }
    const T* get() const { return v_; }

   private:
    std::atomic<const T*>* slot_ = nullptr;
    const T* v_ = nullptr;
  };

  // The current version (null before the first publish), held until the Reading ends.
  Reading read(int worker) {
    const T* v = current_.load(std::memory_order_acquire);
    if (!v) return {};
    size_t n = slots_.size(), i = static_cast<size_t>(worker < 0 ? 0 : worker) % n;
    // Claim a free slot: a worker's own is free unless another thread shares its index.
    for (;; i = (i + 1) % n) {
      const T* empty = nullptr;
      if (slots_[i].held.compare_exchange_strong(empty, v, std::memory_order_seq_cst)) break;
    }
    auto& held = slots_[i].held;
    for (;;) {  // the version may have been replaced before the slot said so: take the new one
      const T* now = current_.load(std::memory_order_seq_cst);
      if (now == v) return {&held, v};
      v = now;
      held.store(v, std::memory_order_seq_cst);
    }
  }

  // Writer: makes `root` current; `garbage` is what `root` and later versions no longer reach.
  void publish(const T* root, Garbage garbage) {
    std::lock_guard lock(mu_);
    uint64_t version = ++version_;
    current_.store(root, std::memory_order_seq_cst);
    live_.push_back({root, version});
    pending_.push_back({version, std::move(garbage)});
    reclaim_locked();
  }

  // Any thread: frees what no reader can reach any more (publish does it too).
  void reclaim() {
    std::lock_guard lock(mu_);
    reclaim_locked();
  }

  // Batches of garbage still waiting for a reader to move on (for tests).
  size_t pending() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }
  const T* current() const { return current_.load(std::memory_order_acquire); }

 private:
  struct alignas(64) Slot {
    std::atomic<const T*> held{nullptr};
  };
  struct Batch {
    uint64_t version;  // freeable once no reader holds a version older than this
    Garbage garbage;
  };
  struct Live {
    const T* root;
    uint64_t version;
  };

  // The oldest version any reader holds (UINT64_MAX: none).
  uint64_t oldest_held() const {
    uint64_t oldest = UINT64_MAX;
    for (auto& s : slots_) {
      const T* p = s.held.load(std::memory_order_seq_cst);
      if (!p) continue;
      // A pointer that is not a live root was read before it was replaced and freed: that
      // reader sees the change and moves on without using it.
      for (auto& l : live_) {
        if (l.root == p && l.version < oldest) oldest = l.version;
      }
    }
    return oldest;
  }

  void reclaim_locked() {
    uint64_t oldest = oldest_held();
    while (!pending_.empty() && pending_.front().version <= oldest) {
      pending_.front().garbage.free_all();
      pending_.pop_front();
    }
    // Roots older than the oldest one still wanted are gone with their batch.
    uint64_t keep_from = pending_.empty() ? version_ : pending_.front().version - 1;
    std::erase_if(live_, [&](const Live& l) { return l.version < keep_from; });
  }

  mutable std::mutex mu_;  // writers
  std::atomic<const T*> current_{nullptr};
  std::vector<Slot> slots_;
  uint64_t version_ = 0;
  std::deque<Batch> pending_;
  std::vector<Live> live_;
};

}  // namespace cxxdns::plugins::k8s
