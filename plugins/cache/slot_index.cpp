#include "plugins/cache/slot_index.h"

namespace cxxdns::plugins::cache {

namespace {
constexpr size_t kFirstCapacity = 16;
}

size_t SlotIndex::probe(uint64_t hash) const {
  size_t i = home(hash);
  while (cells_[i].slot_plus_one != 0 && cells_[i].hash != hash) i = (i + 1) & mask_;
  return i;
}

uint32_t SlotIndex::find(uint64_t hash) const {
  if (!cells_) return kNone;
  const Cell& c = cells_[probe(hash)];
  return c.slot_plus_one == 0 ? kNone : c.slot_plus_one - 1;
}

void SlotIndex::put(uint64_t hash, uint32_t slot) {
  if (!cells_ || (size_ + 1) * 2 > mask_ + 1) grow();
  Cell& c = cells_[probe(hash)];
  if (c.slot_plus_one == 0) ++size_;
  c.hash = hash;
  c.slot_plus_one = slot + 1;
}

void SlotIndex::erase(uint64_t hash) {
  if (!cells_) return;
  size_t hole = probe(hash);
  if (cells_[hole].slot_plus_one == 0) return;
  --size_;
  // Backward shift: later cells of the same run move into the hole when their home is not
  // between the hole and them, so every probe still finds its key without tombstones.
  for (size_t j = (hole + 1) & mask_; cells_[j].slot_plus_one != 0; j = (j + 1) & mask_) {
    size_t h = home(cells_[j].hash);
    bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    cells_[hole] = cells_[j];
    hole = j;
  }
  cells_[hole].slot_plus_one = 0;
}

void SlotIndex::grow() {
  size_t capacity = cells_ ? (mask_ + 1) * 2 : kFirstCapacity;
  std::unique_ptr<Cell[]> old = std::move(cells_);
  size_t old_capacity = old ? mask_ + 1 : 0;
  cells_.reset(new Cell[capacity]());
  mask_ = capacity - 1;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i].slot_plus_one == 0) continue;
    cells_[probe(old[i].hash)] = old[i];
  }
}

}  // namespace cxxdns::plugins::cache
