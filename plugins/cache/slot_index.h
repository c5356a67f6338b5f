// The store's per-shard index: a key's 64-bit hash -> its slot, in one open-addressing
// table (linear probing, backward-shift deletion).
//
// Why not std::unordered_map: it heap-allocates a node per entry and every find is a chain
// of dependent cache misses (bucket, then node); erasing by key walks the bucket's list for
// the node before. Under a stream of new names each miss does a find, an insert and an
// eviction's erase, which made the map the largest user-space cost of a forwarded query.
// Here a find is usually one cache line. The table grows by doubling (load at most 1/2), so
// an empty cache owns no table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cxxdns::plugins::cache {

class SlotIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // The slot stored for `hash`, or kNone.
  uint32_t find(uint64_t hash) const;
  // Stores `hash -> slot`, replacing the slot of a hash already present.
  void put(uint64_t hash, uint32_t slot);
  // Removes `hash`; nothing happens when it is absent.
  void erase(uint64_t hash);

  size_t size() const { return size_; }

 private:
  struct Cell {
    uint64_t hash;
    uint32_t slot_plus_one;  // 0: an empty cell
  };

  // The store picks the shard from the hash's low bits: the table uses the high ones.
  size_t home(uint64_t hash) const { return static_cast<size_t>(hash >> 32) & mask_; }
  // The cell holding `hash`, or the empty cell where it would go.
  size_t probe(uint64_t hash) const;
  void grow();

  std::unique_ptr<Cell[]> cells_;
  size_t mask_ = 0;  // capacity - 1; capacity 0 until the first put
  size_t size_ = 0;
};

}  // namespace cxxdns::plugins::cache
