// kubernetes: the persistent hash map under the index (pmap.h): inserts, replacements and
// erases at any depth, whole-hash collisions, and older versions left as they were.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "plugins/kubernetes/pmap.h"

using namespace cxxdns::plugins::k8s;

namespace {

struct Item {
  int key, value;
};

// A hash with few bits set on purpose: many keys share whole hashes (collision nodes) or long
// prefixes (deep branches).
struct CollidingTraits {
  using Leaf = Item;
  using Key = int;
  static uint64_t hash(const Leaf& l) { return of(l.key); }
  static Key key(const Leaf& l) { return l.key; }
  static bool match(const Leaf& l, Key k) { return l.key == k; }
  static uint64_t of(int k) { return (uint64_t(k % 7) << 60) | uint64_t(k % 3); }
};
using Map = PMap<CollidingTraits>;

}  // namespace

TEST_CASE("kubernetes pmap: a random walk matches std::map, old versions stay", "[kubernetes]") {
  std::mt19937 rng(3);
  Map m;
  std::map<int, int> want;
  std::vector<Item*> items;  // owned here, as the store owns its leaves
  Garbage garbage;
  Epoch ep;
  ep.garbage = &garbage;
  const PBranch* old_root = nullptr;
  std::map<int, int> old_want;
  for (int step = 0; step < 4000; ++step) {
    int k = static_cast<int>(rng() % 60);
    if (rng() % 3) {
      auto* it = new Item{k, step};
      items.push_back(it);
      const Item* replaced = m.put(it, ep);
      CHECK((replaced != nullptr) == want.count(k));
      want[k] = step;
    } else {
      const Item* gone = m.erase(CollidingTraits::of(k), k, ep);
      CHECK((gone != nullptr) == want.count(k));
      want.erase(k);
    }
    if (step % 50 == 0) ++ep.now;  // publish: what was built is frozen from now on
    if (step == 2000) {
      ++ep.now;
      old_root = m.root();
      old_want = want;
    }
  }
  CHECK(m.size() == want.size());
  for (int k = 0; k < 60; ++k) {
    const Item* f = Map::find(m.root(), CollidingTraits::of(k), k);
    REQUIRE((f != nullptr) == want.count(k));
    if (f) CHECK(f->value == want[k]);
    // The version of step 2000 was never changed in place.
    const Item* o = Map::find(old_root, CollidingTraits::of(k), k);
    REQUIRE((o != nullptr) == old_want.count(k));
    if (o) CHECK(o->value == old_want[k]);
  }
  m.destroy();
  garbage.free_all();  // includes the nodes only the old version had
  for (auto* it : items) delete it;
}
