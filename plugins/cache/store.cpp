#include "plugins/cache/store.h"

#include <cstring>

namespace cxxdns::plugins::cache {

namespace {
constexpr uint64_t kNs = 1000000000ull;
// A refresh that never came back (lost internal query) may be retried after this.
constexpr uint64_t kRefreshTimeoutNs = 10 * kNs;

uint64_t hash_bytes(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, then a final mix for the shard bits
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
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

Store::Store(size_t capacity)
    : per_shard_(capacity / kShards ? capacity / kShards : 1), shards_(new Shard[kShards]) {
  // Slots are reserved, not constructed: the pages of an empty cache are never touched, so
  // idle memory does not grow with the configured capacity, and slots made as the cache
  // fills never move (no reallocation: reserve covers the shard's whole share).
  for (size_t i = 0; i < kShards; ++i) shards_[i].slots.reserve(per_shard_);
}

Lookup Store::lookup(const Key& k, uint64_t now, uint64_t stale_ns, const PrefetchRule& pf,
                     bool stale_refresh, bool copy, std::vector<uint8_t>& out) {
  Lookup r;
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t slot = s.index.find(k.hash);
  if (slot == SlotIndex::kNone) return r;
  Entry& e = s.slots[slot];
  if (!(e.key == k)) return r;
  const uint64_t expires = e.stored_ns + uint64_t(e.ttl) * kNs;
  const bool in_flight = e.refresh_ns != 0 && now - e.refresh_ns < kRefreshTimeoutNs;
  if (now < expires) {
    r.found = Found::fresh;
    // Rounded up: an entry with 0.4 s left still has a second, as a fresh answer would.
    r.remaining = static_cast<uint32_t>((expires - now + kNs - 1) / kNs);
    if (pf.amount > 0) {
      // Popular: hits with no gap of the window or more between them.
      if (e.hits == 0 || now - e.last_hit_ns >= pf.window_ns)
        e.hits = 1;
      else
        ++e.hits;
      e.last_hit_ns = now;
      uint64_t threshold = (uint64_t(e.ttl) * pf.percentage + 99) / 100;
      if (threshold < 1) threshold = 1;
      if (e.hits >= pf.amount && r.remaining <= threshold && !in_flight) {
        r.refresh = true;
        e.refresh_ns = now ? now : 1;
      }
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
  r.ttl = e.ttl;
  e.referenced = true;
  if (copy) out.assign(e.wire.begin(), e.wire.end());
  return r;
}

uint32_t Store::take_slot(Shard& s) {
  if (!s.free.empty()) {
    uint32_t j = s.free.back();
    s.free.pop_back();
    ++s.used;
    entries_.fetch_add(1, std::memory_order_relaxed);
    return j;
  }
  if (s.slots.size() < per_shard_) {
    s.slots.emplace_back();
    ++s.used;
    entries_.fetch_add(1, std::memory_order_relaxed);
    return static_cast<uint32_t>(s.slots.size() - 1);
  }
  // CLOCK: the first entry not hit since the hand last passed it goes.
  for (;;) {
    Entry& e = s.slots[s.hand];
    size_t j = s.hand;
    s.hand = (s.hand + 1) % s.slots.size();
    if (e.referenced) {
      e.referenced = false;
      continue;
    }
    s.index.erase(e.key.hash);
    evictions_.fetch_add(1, std::memory_order_relaxed);
    return static_cast<uint32_t>(j);
  }
}

void Store::insert(const Key& k, std::span<const uint8_t> wire, uint32_t ttl, uint64_t now) {
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t slot = s.index.find(k.hash);
  if (slot == SlotIndex::kNone) {
    slot = take_slot(s);
    s.index.put(k.hash, slot);
  }  // else the same key, or a colliding one: replaced either way
  Entry& e = s.slots[slot];
  if (!(e.used && e.key == k)) e.hits = 0, e.last_hit_ns = 0;
  e.key = k;
  e.wire.assign(wire.begin(), wire.end());
  e.stored_ns = now;
  e.ttl = ttl;
  e.refresh_ns = 0;
  e.used = true;
  e.referenced = false;
}

void Store::erase(const Key& k) {
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t slot = s.index.find(k.hash);
  if (slot == SlotIndex::kNone || !(s.slots[slot].key == k)) return;
  Entry& e = s.slots[slot];
  e.used = false;
  e.referenced = false;
  s.index.erase(k.hash);
  s.free.push_back(slot);
  --s.used;
  entries_.fetch_sub(1, std::memory_order_relaxed);
}

void Store::refresh_done(const Key& k) {
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  uint32_t slot = s.index.find(k.hash);
  if (slot != SlotIndex::kNone && s.slots[slot].key == k) s.slots[slot].refresh_ns = 0;
}

}  // namespace cxxdns::plugins::cache
