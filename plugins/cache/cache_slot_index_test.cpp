// cache: the open-addressing slot index against std::unordered_map, under random puts and
// erases that crowd a few home cells (wrap-around runs, backward shifts) and grow the table.
#include <catch2/catch.hpp>
#include <random>
#include <unordered_map>

#include "plugins/cache/slot_index.h"

using cxxdns::plugins::cache::SlotIndex;

namespace {
// Hashes whose high 32 bits (the table's home bits) take only `homes` values, so runs form,
// wrap past the table's end and must survive erases in their middle.
uint64_t crowded_hash(std::mt19937_64& rng, uint32_t homes) {
  uint64_t high = rng() % homes;
  if (high % 2) high = 0xFFFFFFFFu - high;  // some homes near the end of the table
  return (high << 32) | (rng() & 0xFFFFFFFFu);
}
}  // namespace

TEST_CASE("cache slot index: an empty index finds nothing and erases nothing", "[cache]") {
  SlotIndex idx;
  CHECK(idx.find(42) == SlotIndex::kNone);
  idx.erase(42);
  CHECK(idx.size() == 0);
}

TEST_CASE("cache slot index: put replaces, erase removes only its own hash", "[cache]") {
  SlotIndex idx;
  idx.put(7, 1);
  idx.put(7, 2);
  idx.put(8, 3);
  CHECK(idx.size() == 2);
  CHECK(idx.find(7) == 2);
  idx.erase(7);
  CHECK(idx.find(7) == SlotIndex::kNone);
  CHECK(idx.find(8) == 3);
  CHECK(idx.size() == 1);
}

TEST_CASE("cache slot index: agrees with unordered_map under random puts and erases", "[cache]") {
  for (uint32_t homes : {3u, 40u, 1u << 20}) {
    std::mt19937_64 rng(homes);
    SlotIndex idx;
    std::unordered_map<uint64_t, uint32_t> ref;
    std::vector<uint64_t> known;
    for (int step = 0; step < 60000; ++step) {
      int op = static_cast<int>(rng() % 10);
      if (op < 5 || known.empty()) {
        uint64_t h = crowded_hash(rng, homes);
        auto slot = static_cast<uint32_t>(rng() % 100000);
        idx.put(h, slot);
        if (!ref.count(h)) known.push_back(h);
        ref[h] = slot;
      } else if (op < 8) {
        size_t k = rng() % known.size();
        idx.erase(known[k]);
        ref.erase(known[k]);
        known[k] = known.back();
        known.pop_back();
      } else {
        uint64_t h = known[rng() % known.size()];
        REQUIRE(idx.find(h) == ref.at(h));
      }
      if (step % 5000 == 0) {
        REQUIRE(idx.size() == ref.size());
        for (const auto& [h, slot] : ref) REQUIRE(idx.find(h) == slot);
        uint64_t absent = crowded_hash(rng, homes);
        if (!ref.count(absent)) REQUIRE(idx.find(absent) == SlotIndex::kNone);
      }
    }
    REQUIRE(idx.size() == ref.size());
    for (const auto& [h, slot] : ref) REQUIRE(idx.find(h) == slot);
  }
}
