// The cache's store: answers in wire form, shared by every worker, in two pools (success and
// denial) under one index. Sharded so that workers rarely wait on each other; each shard
// reserves its slots (made as the cache fills) and grows its index as it fills, and once an
// entry's buffer has grown, replacing or reading it allocates nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
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

// The two kinds of entries, each with its own capacity (CoreDNS's `success` and `denial`).
enum class Pool : uint8_t { success = 0, denial = 1 };

// What the cache keeps beside an answer (its packed shape).
constexpr size_t kMaxMeta = 80;

struct Lookup {
  Found found = Found::none;
  Pool pool = Pool::success;  // where the entry found is
  uint32_t remaining = 0;     // seconds left (0 when stale)
  uint32_t ttl = 0;           // the TTL the entry was stored with
  bool refresh = false;       // the caller should refresh it (prefetch, or stale): now in flight
  uint8_t meta_len = 0;       // what was stored beside the answer, copied with it
  uint8_t meta[kMaxMeta];
};

// One index for both pools: a question has at most one entry, success or denial, and a miss
// costs one probe, not one per pool.
class Store {
 public:
  static constexpr size_t kShards = 64;

  // Bytes the entries of both pools may take by default (cache's max_bytes).
  static constexpr size_t kDefaultMaxBytes = size_t(64) << 20;

  // Each pool's capacity is split evenly over the shards (at least one slot a shard), and so
  // is `max_bytes`: an entry's cost is its answer and key plus sizeof(Entry), and a shard
  // over its share evicts (CLOCK, its own pool first) until it fits again. An answer larger
  // than a shard's share is not cached.
  Store(size_t success_capacity, size_t denial_capacity, size_t max_bytes = kDefaultMaxBytes);

  // Finds `k`. Fresh entries, and stale ones within `stale_ns` past expiry, are copied into
  // `out` when `copy` is set. `pf` decides prefetching; `stale_refresh` marks a stale hit
  // for refresh. Allocation-free once `out` has grown.
  Lookup lookup(const Key& k, uint64_t now_ns, uint64_t stale_ns, const PrefetchRule& pf,
                bool stale_refresh, bool copy, std::vector<uint8_t>& out);
  // Stores the entry for `k` in `pool`, replacing the one `k` had in either pool, evicting
  // one of `pool` when the shard's share of it is full.
  // `meta` (at most kMaxMeta bytes) is kept beside the answer and copied with it. Returns
  // false when the answer is too large for the byte bound (nothing is kept for `k`).
  bool insert(Pool pool, const Key& k, std::span<const uint8_t> wire, uint32_t ttl, uint64_t now_ns,
              std::span<const uint8_t> meta = {});
  void erase(const Key& k);
  // Ends an in-flight refresh that did not store anything.
  void refresh_done(const Key& k);

  size_t entries(Pool p) const { return counts_[idx(p)].entries.load(std::memory_order_relaxed); }
  uint64_t evictions(Pool p) const {
    return counts_[idx(p)].evictions.load(std::memory_order_relaxed);
  }
  size_t capacity(Pool p) const { return per_shard_[idx(p)] * kShards; }
  // Bytes the pool's entries take now (cxxdns_cache_size_bytes), and the bound of both.
  size_t bytes(Pool p) const { return counts_[idx(p)].bytes.load(std::memory_order_relaxed); }
  size_t max_bytes() const { return shard_bytes_ * kShards; }

 private:
  // An entry: 80 bytes, and one heap buffer holding the key bytes and then the answer.
  // The key is not kept inline (up to 260 bytes) so that 100,000 entries take ~8 MB, not
  // ~34, and the CLOCK hand and the index's victims touch fewer cache lines.
  struct Entry {
    std::vector<uint8_t> bytes;  // key (key_len bytes), the answer's wire, then meta_len bytes
    size_t cost = 0;             // what it counts against the byte bound while it holds one
    uint64_t hash = 0;
    uint64_t stored_ns = 0;
    uint64_t last_hit_ns = 0;
    uint64_t refresh_ns = 0;  // when a refresh went out; 0: none in flight
    uint32_t ttl = 0;
    uint32_t hits = 0;
    uint16_t key_len = 0;
    uint8_t meta_len = 0;
    bool referenced = false;  // CLOCK bit

    bool is(const Key& k) const {
      return hash == k.hash && key_len == k.len && std::memcmp(bytes.data(), k.bytes, k.len) == 0;
    }
    std::span<const uint8_t> wire() const {
      return std::span(bytes).subspan(key_len, bytes.size() - key_len - meta_len);
    }
    const uint8_t* meta() const { return bytes.data() + bytes.size() - meta_len; }
  };
  // One pool's slots in a shard. A slot is never moved once made (reserved up front).
  struct Slots {
    std::vector<Entry> entries;
    std::vector<uint32_t> free;  // slots emptied by erase, taken before any eviction
    size_t hand = 0;
  };
  struct Shard {
    std::mutex mu;
    SlotIndex index;  // hash -> slot reference (ref())
    Slots pools[2];
    size_t bytes = 0;  // the costs of its entries
  };
  struct Counts {
    std::atomic<size_t> entries{0};
    std::atomic<uint64_t> evictions{0};
    std::atomic<size_t> bytes{0};
  };

  static size_t idx(Pool p) { return static_cast<size_t>(p); }
  // An index value: the pool in the top bit, the slot below.
  static uint32_t ref(Pool p, uint32_t slot) { return uint32_t(idx(p)) << 31 | slot; }
  static Pool pool_of(uint32_t ref) { return static_cast<Pool>(ref >> 31); }
  static uint32_t slot_of(uint32_t ref) { return ref & 0x7fffffffu; }
  static Entry& entry(Shard& s, uint32_t ref) {
    return s.pools[idx(pool_of(ref))].entries[slot_of(ref)];
  }
  Shard& shard(const Key& k) { return shards_[k.hash % kShards]; }
  // The entry of `k` in the shard, or null.
  static Entry* find(Shard& s, const Key& k, uint32_t* ref_out);
  // Counts a fresh hit for prefetch; true when this hit should refresh the entry.
  static bool hit_calls_for_prefetch(Entry& e, uint64_t now, uint32_t remaining,
                                     const PrefetchRule& pf, bool in_flight);
  uint32_t take_slot(Shard& s, Pool p);
  void free_slot(Shard& s, uint32_t ref);
  // Fills entry `r` with the key and answer, keeping the byte counts.
  void fill(Shard& s, uint32_t r, const Key& k, std::span<const uint8_t> wire,
            std::span<const uint8_t> meta);
  void uncount(Shard& s, uint32_t r);
  // Evicts one entry other than `keep` (pool `p` first) for the byte bound; false if none.
  bool evict_for_bytes(Shard& s, Pool p, uint32_t keep);

  size_t per_shard_[2];
  size_t shard_bytes_;
  std::unique_ptr<Shard[]> shards_;
  Counts counts_[2];
};

}  // namespace cxxdns::plugins::cache
