#include "plugins/cache/store.h"

#include <cstring>
#include <random>

namespace cxxdns::plugins::cache {

namespace {
constexpr uint64_t kNs = 1000000000ull;
// A refresh that never came back (lost internal query) may be retried after this.
constexpr uint64_t kRefreshTimeoutNs = 10 * kNs;

// A per-process random seed: names are chosen by whoever asks, and with a fixed hash they
// could pick names that all land in one shard's run of index cells.
uint64_t hash_seed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }();
  return seed;
}

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// Eight bytes a step (keys are 6 to 260 bytes, most about 20), then a final mix for the
// shard bits (low) and the index bits (high).
uint64_t hash_bytes(const uint8_t* p, size_t n) {
  uint64_t h = hash_seed() ^ (n * 0x9e3779b97f4a7c15ull);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * 0x94d049bb133111ebull;
  return mix(h);
}
}  // namespace

Key Key::of(const dns::QueryView& q) {
  Key k;
  std::memcpy(k.bytes, q.qname_lower.data, q.qname_lower.len);
  size_t n = q.qname_lower.len;
  dns::put16(k.bytes + n, q.qtype);
  dns::put16(k.bytes + n + 2, q.qclass);
  k.bytes[n + 4] =
      static_cast<uint8_t>((q.edns.do_bit ? 1 : 0) | ((q.hdr.flags & dns::flag::CD) ? 2 : 0));
  k.len = static_cast<uint16_t>(n + 5);
  k.hash = hash_bytes(k.bytes, k.len);
  return k;
}

bool Key::operator==(const Key& o) const {
  return len == o.len && std::memcmp(bytes, o.bytes, len) == 0;
}

Store::Store(size_t success_capacity, size_t denial_capacity, size_t max_bytes)
    : shard_bytes_(max_bytes / kShards), shards_(new Shard[kShards]) {
  const size_t caps[2] = {success_capacity, denial_capacity};
  for (size_t p = 0; p < 2; ++p) {
    per_shard_[p] = caps[p] / kShards ? caps[p] / kShards : 1;
    // Slots are reserved, not constructed: the pages of an empty cache are never touched, so
    // idle memory does not grow with the configured capacity, and slots made as the cache
    // fills never move (no reallocation: reserve covers the shard's whole share).
    for (size_t i = 0; i < kShards; ++i) shards_[i].pools[p].entries.reserve(per_shard_[p]);
  }
}

Store::Entry* Store::find(Shard& s, const Key& k, uint32_t* ref_out) {
  uint32_t r = s.index.find(k.hash);
  if (r == SlotIndex::kNone) return nullptr;
  Entry& e = entry(s, r);
  if (!e.is(k)) return nullptr;
  if (ref_out) *ref_out = r;
  return &e;
}

bool Store::hit_calls_for_prefetch(Entry& e, uint64_t now, uint32_t remaining,
                                   const PrefetchRule& pf, bool in_flight) {
  // Popular: hits with no gap of the window or more between them.
  if (e.hits == 0 || now - e.last_hit_ns >= pf.window_ns) {
    e.hits = 1;
  } else {
    ++e.hits;
  }
  e.last_hit_ns = now;
  uint64_t threshold = (uint64_t(e.ttl) * pf.percentage + 99) / 100;
  if (threshold < 1) threshold = 1;
  return e.hits >= pf.amount && remaining <= threshold && !in_flight;
}

Lookup Store::lookup(const Key& k, uint64_t now, uint64_t stale_ns, const PrefetchRule& pf,
                     bool stale_refresh, bool copy, std::vector<uint8_t>& out) {
  Lookup r;
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t ref;
  Entry* found = find(s, k, &ref);
  if (!found) return r;
  Entry& e = *found;
  const uint64_t expires = e.stored_ns + uint64_t(e.ttl) * kNs;
  const bool in_flight = e.refresh_ns != 0 && now - e.refresh_ns < kRefreshTimeoutNs;
  if (now < expires) {
    r.found = Found::fresh;
    // Rounded up: an entry with 0.4 s left still has a second, as a fresh answer would.
    r.remaining = static_cast<uint32_t>((expires - now + kNs - 1) / kNs);
    if (pf.amount > 0 && hit_calls_for_prefetch(e, now, r.remaining, pf, in_flight)) {
      r.refresh = true;
      e.refresh_ns = now ? now : 1;
    }
  } else if (stale_ns > 0 && now - expires <= stale_ns) {
    r.found = Found::stale;
    if (stale_refresh && !in_flight) {
      r.refresh = true;
      e.refresh_ns = now ? now : 1;
    }
  } else {
    return r;
  }
  r.pool = pool_of(ref);
  r.ttl = e.ttl;
  e.referenced = true;
  if (copy) {
    std::span<const uint8_t> w = e.wire();
    out.assign(w.begin(), w.end());
    r.meta_len = e.meta_len;
    std::memcpy(r.meta, e.meta(), e.meta_len);
  }
  return r;
}

uint32_t Store::take_slot(Shard& s, Pool p) {
  Slots& pool = s.pools[idx(p)];
  Counts& n = counts_[idx(p)];
  if (!pool.free.empty()) {
    uint32_t j = pool.free.back();
    pool.free.pop_back();
    n.entries.fetch_add(1, std::memory_order_relaxed);
    return ref(p, j);
  }
  if (pool.entries.size() < per_shard_[idx(p)]) {
    pool.entries.emplace_back();
    n.entries.fetch_add(1, std::memory_order_relaxed);
    return ref(p, static_cast<uint32_t>(pool.entries.size() - 1));
  }
  // CLOCK: the first entry not hit since the hand last passed it goes.
  for (;;) {
    Entry& e = pool.entries[pool.hand];
    size_t j = pool.hand;
    pool.hand = (pool.hand + 1) % pool.entries.size();
    if (e.referenced) {
      e.referenced = false;
      continue;
    }
    s.index.erase(e.hash);
    uncount(s, ref(p, static_cast<uint32_t>(j)));
    n.evictions.fetch_add(1, std::memory_order_relaxed);
    return ref(p, static_cast<uint32_t>(j));
  }
}

void Store::uncount(Shard& s, uint32_t r) {
  Entry& e = entry(s, r);
  s.bytes -= e.cost;
  counts_[idx(pool_of(r))].bytes.fetch_sub(e.cost, std::memory_order_relaxed);
  e.cost = 0;
}

void Store::free_slot(Shard& s, uint32_t r) {
  Entry& e = entry(s, r);
  s.index.erase(e.hash);
  uncount(s, r);
  std::vector<uint8_t>().swap(e.bytes);  // an emptied slot holds no memory
  e.referenced = false;
  e.key_len = 0;  // no key is empty: an emptied slot matches nothing
  e.hash = 0;
  const size_t p = idx(pool_of(r));
  s.pools[p].free.push_back(slot_of(r));
  counts_[p].entries.fetch_sub(1, std::memory_order_relaxed);
}

void Store::fill(Shard& s, uint32_t r, const Key& k, std::span<const uint8_t> wire,
                 std::span<const uint8_t> meta) {
  Entry& e = entry(s, r);
  uncount(s, r);
  const size_t n = k.len + wire.size() + meta.size();
  // A buffer much larger than its new answer gives the difference back; otherwise it is
  // reused as it is (a replacement of a similar size allocates nothing).
  if (e.bytes.capacity() > 2 * n && e.bytes.capacity() > 1024) {
    std::vector<uint8_t>(n).swap(e.bytes);
  } else {
    e.bytes.resize(n);
  }
  std::memcpy(e.bytes.data(), k.bytes, k.len);
  std::memcpy(e.bytes.data() + k.len, wire.data(), wire.size());
  if (!meta.empty()) std::memcpy(e.bytes.data() + k.len + wire.size(), meta.data(), meta.size());
  e.meta_len = static_cast<uint8_t>(meta.size());
  e.cost = sizeof(Entry) + e.bytes.capacity();
  s.bytes += e.cost;
  counts_[idx(pool_of(r))].bytes.fetch_add(e.cost, std::memory_order_relaxed);
}

bool Store::evict_for_bytes(Shard& s, Pool first, uint32_t keep) {
  const Pool order[2] = {first, first == Pool::success ? Pool::denial : Pool::success};
  for (Pool p : order) {
    Slots& pool = s.pools[idx(p)];
    const size_t n = pool.entries.size();
    // Two turns of the hand: the first may only clear the referenced bits.
    for (size_t step = 0; n > 0 && step < 2 * n; ++step) {
      const uint32_t j = static_cast<uint32_t>(pool.hand);
      pool.hand = (pool.hand + 1) % n;
      Entry& e = pool.entries[j];
      if (e.key_len == 0 || ref(p, j) == keep) continue;
      if (e.referenced) {
        e.referenced = false;
        continue;
      }
      free_slot(s, ref(p, j));
      counts_[idx(p)].evictions.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

bool Store::insert(Pool p, const Key& k, std::span<const uint8_t> wire, uint32_t ttl, uint64_t now,
                   std::span<const uint8_t> meta) {
  if (meta.size() > kMaxMeta) meta = {};
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t r = s.index.find(k.hash);
  if (sizeof(Entry) + k.len + wire.size() + meta.size() > shard_bytes_) {
    // Too large to keep: what the question had is outdated by this answer, so it goes too.
    if (r != SlotIndex::kNone && entry(s, r).is(k)) free_slot(s, r);
    return false;
  }
  bool same = false;
  if (r != SlotIndex::kNone && pool_of(r) != p) {
    // The question's entry of the other kind (or a colliding key's) goes: one answer each.
    free_slot(s, r);
    r = SlotIndex::kNone;
  }
  if (r == SlotIndex::kNone) {
    r = take_slot(s, p);
    s.index.put(k.hash, r);
  } else {
    same = entry(s, r).is(k);  // else a colliding key's entry: replaced
  }
  Entry& e = entry(s, r);
  if (!same) e.hits = 0, e.last_hit_ns = 0;
  fill(s, r, k, wire, meta);
  e.key_len = k.len;
  e.hash = k.hash;
  e.stored_ns = now;
  e.ttl = ttl;
  e.refresh_ns = 0;
  e.referenced = false;
  while (s.bytes > shard_bytes_ && evict_for_bytes(s, p, r)) {
  }
  return true;
}

void Store::erase(const Key& k) {
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t r;
  if (find(s, k, &r)) free_slot(s, r);
}

void Store::refresh_done(const Key& k) {
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  if (Entry* e = find(s, k, nullptr)) e->refresh_ns = 0;
}

}  // namespace cxxdns::plugins::cache
