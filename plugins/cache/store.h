// The cache's store: answers in wire form, shared by every worker. Sharded so that workers
// rarely wait on each other; each shard reserves its slots (made as the cache fills) and
// grows its index as it fills, and once an entry's buffer has grown, replacing or reading it
// allocates nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/dns/message.h"
#include "plugins/cache/slot_index.h"

namespace cxxdns::plugins::cache {

// What identifies a cached answer: lower-case qname wire, qtype, qclass, DO and CD. The
// hash picks shard and slot; the bytes are compared on every hit, so a hash collision is
// a miss, never a wrong answer.
struct Key {
  uint8_t bytes[dns::kMaxNameWire + 5];
  uint16_t len = 0;
  uint64_t hash = 0;

  static Key of(const dns::QueryView& q);
  bool operator==(const Key& o) const;
};

struct PrefetchRule {
  uint32_t amount = 0;  // 0: off
  uint64_t window_ns = 0;
  uint32_t percentage = 10;
};

enum class Found : uint8_t { none, fresh, stale };

struct Lookup {
  Found found = Found::none;
  uint32_t remaining = 0;  // seconds left (0 when stale)
  uint32_t ttl = 0;        // the TTL the entry was stored with
  bool refresh = false;    // the caller should refresh it (prefetch, or stale): now in flight
};

class Store {
 public:
  static constexpr size_t kShards = 64;

  // `capacity` entries in all, split evenly over the shards (at least one each).
  explicit Store(size_t capacity);

  // Finds `k`. Fresh entries, and stale ones within `stale_ns` past expiry, are copied into
  // `out` when `copy` is set. `pf` decides prefetching; `stale_refresh` marks a stale hit
  // for refresh. Allocation-free once `out` has grown.
  Lookup lookup(const Key& k, uint64_t now_ns, uint64_t stale_ns, const PrefetchRule& pf,
                bool stale_refresh, bool copy, std::vector<uint8_t>& out);
  // Stores (or replaces) the entry for `k`, evicting one when the shard is full.
  void insert(const Key& k, std::span<const uint8_t> wire, uint32_t ttl, uint64_t now_ns);
  void erase(const Key& k);
  // Ends an in-flight refresh that did not store anything.
  void refresh_done(const Key& k);

  size_t entries() const { return entries_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  size_t capacity() const { return per_shard_ * kShards; }

 private:
  struct Entry {
    Key key;
    std::vector<uint8_t> wire;
    uint64_t stored_ns = 0;
    uint32_t ttl = 0;
    uint32_t hits = 0;
    uint64_t last_hit_ns = 0;
    uint64_t refresh_ns = 0;  // when a refresh went out; 0: none in flight
    bool used = false;
    bool referenced = false;  // CLOCK bit
  };
  struct Shard {
    std::mutex mu;
    std::vector<Entry> slots;
    SlotIndex index;             // hash -> slot
    std::vector<uint32_t> free;  // slots emptied by erase, taken before any eviction
    size_t used = 0;
    size_t hand = 0;
  };

  Shard& shard(const Key& k) { return shards_[k.hash % kShards]; }
  uint32_t take_slot(Shard& s);

  size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<size_t> entries_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace cxxdns::plugins::cache
