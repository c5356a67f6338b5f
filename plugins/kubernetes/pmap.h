// PMap: a persistent hash map (a hash array mapped trie) for data that one writer changes a
// little at a time while readers keep reading older versions.
//
// Why: the kubernetes index must change per object (one service's names) without copying
// the cluster, and readers must see each version whole and take no lock. A change copies
// only the path from the root to the leaf it touches (3 or 4 nodes of at most 64 slots at
// 100,000 names), so a version costs what it changes, and every older version stays intact
// for the readers still on it.
//
// - Leaves are pointers to objects the caller owns (`Traits::Leaf`); the map owns branches.
// - Nodes made while building version `epoch` are changed in place until that version is
//   published (a burst of changes copies each node once, not once per change); a node of an
//   older version is copied and the old one handed to `Garbage`, to be freed once no reader
//   can hold a version that reaches it (published.h).
// - Readers only call find(); writers must be serialized by the caller.
//
// Traits: `using Leaf`, `using Key`, `static uint64_t hash(const Leaf&)`,
// `static Key key(const Leaf&)`, `static bool match(const Leaf&, const Key&)`.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

namespace cxxdns::plugins::k8s {

// Things a version no longer reaches, freed together once no reader holds an older version.
struct Garbage {
  std::vector<std::pair<void*, void (*)(void*)>> items;
  void add(void* p, void (*del)(void*)) { items.emplace_back(p, del); }
  template <typename T>
  void add_object(T* p) {
    items.emplace_back(p, [](void* q) { delete static_cast<T*>(q); });
  }
  void free_all() {
    for (auto& [p, del] : items) del(p);
    items.clear();
  }
};

// The writer's context: the version being built and where replaced nodes go.
struct Epoch {
  uint64_t now = 1;
  Garbage* garbage = nullptr;
};

struct PBranch {
  uint64_t bitmap;  // which of the 64 slots are used; 0 for a collision node
  uint64_t epoch;   // the version that made it (mutable while that version is being built)
  uint32_t count;   // children
  uintptr_t* slots() { return reinterpret_cast<uintptr_t*>(this + 1); }
  const uintptr_t* slots() const { return reinterpret_cast<const uintptr_t*>(this + 1); }
};

template <typename Traits>
class PMap {
 public:
  using Leaf = typename Traits::Leaf;
  using Key = typename Traits::Key;

  // The leaf with `key` (whose hash is `h`) under `root`, or null. Never allocates.
  static const Leaf* find(const PBranch* root, uint64_t h, const Key& key) {
    const PBranch* n = root;
    for (unsigned shift = 0; n; shift += kBits) {
      if (shift >= 64) return find_collision(n, key);
      uint64_t bit = uint64_t{1} << ((h >> shift) & kMask);
      if (!(n->bitmap & bit)) return nullptr;
      uintptr_t c = n->slots()[std::popcount(n->bitmap & (bit - 1))];
      if (c & 1) {
        const Leaf* l = leaf(c);
        return Traits::match(*l, key) ? l : nullptr;
      }
      n = reinterpret_cast<const PBranch*>(c);
    }
    return nullptr;
  }

  const PBranch* root() const { return root_; }
  size_t size() const { return size_; }

  // Inserts `l`, replacing the leaf with the same key; returns the replaced leaf or null.
  const Leaf* put(const Leaf* l, Epoch& ep) {
    const Leaf* old = nullptr;
    root_ = put_at(root_, 0, Traits::hash(*l), l, &old, ep);
    if (!old) ++size_;
    return old;
  }

  // Removes the leaf with `key`; returns it, or null when there was none.
  const Leaf* erase(uint64_t h, const Key& key, Epoch& ep) {
    const Leaf* old = nullptr;
    root_ = erase_at(root_, 0, h, key, &old, ep);
    if (old) --size_;
    return old;
  }

  // Calls f(leaf) for every leaf (writer side: sweeps, teardown).
  template <typename F>
  void each(F&& f) const {
    each_at(root_, f);
  }
  // The same for the version under `root` (tests).
  template <typename F>
  static void walk(const PBranch* root, F&& f) {
    each_at(root, f);
  }

  // Frees every branch now (the whole map goes; no reader may still hold it).
  void destroy() {
    destroy_at(root_);
    root_ = nullptr;
    size_ = 0;
  }

 private:
  static constexpr unsigned kBits = 6;
  static constexpr uint64_t kMask = 63;

  static const Leaf* leaf(uintptr_t c) { return reinterpret_cast<const Leaf*>(c & ~uintptr_t{1}); }
  static uintptr_t tag(const Leaf* l) { return reinterpret_cast<uintptr_t>(l) | 1; }

  static PBranch* make(uint64_t bitmap, uint32_t count, const Epoch& ep) {
    void* mem = std::malloc(sizeof(PBranch) + sizeof(uintptr_t) * count);
    if (!mem) throw std::bad_alloc();
    return new (mem) PBranch{bitmap, ep.now, count};
  }
  // Drops `n` now when this version made it (no reader has seen it), else later.
  static void retire(PBranch* n, Epoch& ep) {
    if (n->epoch == ep.now)
      std::free(n);
    else
      ep.garbage->add(n, std::free);
  }
  // `n` itself when this version made it, else a copy of it (and `n` retired).
  static PBranch* own(PBranch* n, Epoch& ep) {
    if (n->epoch == ep.now) return n;
    PBranch* c = make(n->bitmap, n->count, ep);
    std::memcpy(c->slots(), n->slots(), sizeof(uintptr_t) * n->count);
    retire(n, ep);
    return c;
  }
  // `n` with `child` inserted at slot index `pos` (bitmap gains `bit`).
  static PBranch* with(PBranch* n, uint64_t bit, uint32_t pos, uintptr_t child, Epoch& ep) {
    PBranch* c = make(n->bitmap | bit, n->count + 1, ep);
    std::memcpy(c->slots(), n->slots(), sizeof(uintptr_t) * pos);
    c->slots()[pos] = child;
    std::memcpy(c->slots() + pos + 1, n->slots() + pos, sizeof(uintptr_t) * (n->count - pos));
    retire(n, ep);
    return c;
  }
  // `n` without slot index `pos`; null when it was the last.
  static PBranch* without(PBranch* n, uint64_t bit, uint32_t pos, Epoch& ep) {
    PBranch* c = nullptr;
    if (n->count > 1) {
      c = make(n->bitmap & ~bit, n->count - 1, ep);
      std::memcpy(c->slots(), n->slots(), sizeof(uintptr_t) * pos);
      std::memcpy(c->slots() + pos, n->slots() + pos + 1, sizeof(uintptr_t) * (n->count - pos - 1));
    }
    retire(n, ep);
    return c;
  }

  static const Leaf* find_collision(const PBranch* n, const Key& key) {
    for (uint32_t i = 0; i < n->count; ++i) {
      const Leaf* l = leaf(n->slots()[i]);
      if (Traits::match(*l, key)) return l;
    }
    return nullptr;
  }

  // A branch at `shift` holding two leaves whose hashes differ at or below it.
  static PBranch* pair(const Leaf* a, uint64_t ha, const Leaf* b, uint64_t hb, unsigned shift,
                       Epoch& ep) {
    if (shift >= 64) {  // the whole 64-bit hashes are equal: a collision node
      PBranch* n = make(0, 2, ep);
      n->slots()[0] = tag(a);
      n->slots()[1] = tag(b);
      return n;
    }
    uint64_t ia = (ha >> shift) & kMask, ib = (hb >> shift) & kMask;
    if (ia == ib) {
      PBranch* n = make(uint64_t{1} << ia, 1, ep);
      n->slots()[0] = reinterpret_cast<uintptr_t>(pair(a, ha, b, hb, shift + kBits, ep));
      return n;
    }
    PBranch* n = make((uint64_t{1} << ia) | (uint64_t{1} << ib), 2, ep);
    n->slots()[ia < ib ? 0 : 1] = tag(a);
    n->slots()[ia < ib ? 1 : 0] = tag(b);
    return n;
  }

  static PBranch* put_collision(PBranch* n, const Leaf* l, const Leaf** old, Epoch& ep) {
    for (uint32_t i = 0; i < n->count; ++i) {
      if (!Traits::match(*leaf(n->slots()[i]), key_of(*l))) continue;
      *old = leaf(n->slots()[i]);
      n = own(n, ep);
      n->slots()[i] = tag(l);
      return n;
    }
    return with(n, 0, n->count, tag(l), ep);
  }
  static Key key_of(const Leaf& l) { return Traits::key(l); }

  static PBranch* put_at(PBranch* n, unsigned shift, uint64_t h, const Leaf* l, const Leaf** old,
                         Epoch& ep) {
    if (!n) {
      PBranch* r = make(uint64_t{1} << (h & kMask), 1, ep);
      r->slots()[0] = tag(l);
      return r;
    }
    if (shift >= 64) return put_collision(n, l, old, ep);
    uint64_t bit = uint64_t{1} << ((h >> shift) & kMask);
    uint32_t pos = std::popcount(n->bitmap & (bit - 1));
    if (!(n->bitmap & bit)) return with(n, bit, pos, tag(l), ep);
    uintptr_t c = n->slots()[pos];
    uintptr_t replacement;
    if (c & 1) {
      const Leaf* have = leaf(c);
      if (Traits::match(*have, key_of(*l))) {
        *old = have;
        replacement = tag(l);
      } else {
        replacement =
            reinterpret_cast<uintptr_t>(pair(have, Traits::hash(*have), l, h, shift + kBits, ep));
      }
    } else {
      PBranch* child = reinterpret_cast<PBranch*>(c);
      PBranch* changed = put_at(child, shift + kBits, h, l, old, ep);
      if (changed == child) return n;  // changed in place: this version made it
      replacement = reinterpret_cast<uintptr_t>(changed);
    }
    n = own(n, ep);
    n->slots()[pos] = replacement;
    return n;
  }

  static PBranch* erase_collision(PBranch* n, const Key& key, const Leaf** old, Epoch& ep) {
    for (uint32_t i = 0; i < n->count; ++i) {
      if (!Traits::match(*leaf(n->slots()[i]), key)) continue;
      *old = leaf(n->slots()[i]);
      return without(n, 0, i, ep);
    }
    return n;
  }

  static PBranch* erase_at(PBranch* n, unsigned shift, uint64_t h, const Key& key, const Leaf** old,
                           Epoch& ep) {
    if (!n) return n;
    if (shift >= 64) return erase_collision(n, key, old, ep);
    uint64_t bit = uint64_t{1} << ((h >> shift) & kMask);
    if (!(n->bitmap & bit)) return n;
    uint32_t pos = std::popcount(n->bitmap & (bit - 1));
    uintptr_t c = n->slots()[pos];
    if (c & 1) {
      if (!Traits::match(*leaf(c), key)) return n;
      *old = leaf(c);
      return without(n, bit, pos, ep);
    }
    PBranch* child = reinterpret_cast<PBranch*>(c);
    PBranch* changed = erase_at(child, shift + kBits, h, key, old, ep);
    if (changed == child) return n;
    if (!changed) return without(n, bit, pos, ep);
    uintptr_t replacement = reinterpret_cast<uintptr_t>(changed);
    // A branch left with one leaf folds into its parent: chains of single children would
    // otherwise stay behind deletions. (Not a collision node: its leaves share a hash the
    // parent's slot cannot tell apart.)
    if (changed->count == 1 && changed->bitmap != 0 && (changed->slots()[0] & 1)) {
      replacement = changed->slots()[0];
      retire(changed, ep);
    }
    n = own(n, ep);
    n->slots()[pos] = replacement;
    return n;
  }

  template <typename F>
  static void each_at(const PBranch* n, F& f) {
    if (!n) return;
    for (uint32_t i = 0; i < n->count; ++i) {
      uintptr_t c = n->slots()[i];
      if (c & 1)
        f(leaf(c));
      else
        each_at(reinterpret_cast<const PBranch*>(c), f);
    }
  }

  static void destroy_at(PBranch* n) {
    if (!n) return;
    for (uint32_t i = 0; i < n->count; ++i) {
      uintptr_t c = n->slots()[i];
      if (!(c & 1)) destroy_at(reinterpret_cast<PBranch*>(c));
    }
    std::free(n);
  }

  PBranch* root_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cxxdns::plugins::k8s
