// cache: the store on its own: full-key comparison, aging, CLOCK eviction, erase.
#include <catch2/catch.hpp>
#include <cstring>

#include "core/dns/message.h"
#include "plugins/cache/store.h"

using namespace cxxdns::plugins::cache;

namespace {
constexpr uint64_t kSec = 1000000000ull;

Key key(const char* name, uint16_t qtype = 1) {
  cxxdns::dns::QueryView q;
  REQUIRE(cxxdns::dns::from_text(name, q.qname_lower));
  q.qname_lower.to_lower();
  q.qtype = qtype;
  q.qclass = 1;
  return Key::of(q);
}

std::vector<uint8_t> wire(uint8_t tag) {
  return std::vector<uint8_t>(12, tag);
}
}  // namespace

TEST_CASE("cache store: a hash collision is a miss, not another's answer", "[cache]") {
  Store s(1024);
  Key a = key("a.example.org."), b = key("b.example.org.");
  b.hash = a.hash;  // forced collision
  s.insert(a, wire(1), 60, 0);
  std::vector<uint8_t> out;
  CHECK(s.lookup(b, kSec, 0, {}, false, true, out).found == Found::none);
  CHECK(s.lookup(a, kSec, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(1));
  s.insert(b, wire(2), 60, 0);  // replaces the colliding entry
  CHECK(s.lookup(a, kSec, 0, {}, false, true, out).found == Found::none);
  CHECK(s.lookup(b, kSec, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(2));
  CHECK(s.entries() == 1);
}

TEST_CASE("cache store: keys differ by type and case-folded name", "[cache]") {
  CHECK(key("A.Example.org.") == key("a.example.org."));
  CHECK(key("A.Example.org.").hash == key("a.example.org.").hash);
  CHECK_FALSE(key("a.example.org.", 1) == key("a.example.org.", 28));
}

TEST_CASE("cache store: remaining TTL, stale window, expiry", "[cache]") {
  Store s(1024);
  Key a = key("a.example.org.");
  s.insert(a, wire(1), 10, 100 * kSec);
  std::vector<uint8_t> out;
  Lookup r = s.lookup(a, 103 * kSec, 0, {}, false, true, out);
  CHECK(r.found == Found::fresh);
  CHECK(r.remaining == 7);
  CHECK(r.ttl == 10);
  CHECK(s.lookup(a, 110 * kSec, 0, {}, false, true, out).found == Found::none);
  r = s.lookup(a, 115 * kSec, 10 * kSec, {}, true, true, out);
  CHECK(r.found == Found::stale);
  CHECK(r.refresh);
  // A refresh is in flight: not asked for again until it ends.
  CHECK_FALSE(s.lookup(a, 116 * kSec, 10 * kSec, {}, true, true, out).refresh);
  s.refresh_done(a);
  CHECK(s.lookup(a, 117 * kSec, 10 * kSec, {}, true, true, out).refresh);
  CHECK(s.lookup(a, 121 * kSec, 10 * kSec, {}, true, true, out).found == Found::none);
}

TEST_CASE("cache store: CLOCK eviction spares recently hit entries", "[cache]") {
  Store s(64 * 2);  // two slots per shard
  // Three keys of one shard.
  std::vector<Key> same;
  for (int i = 0; same.size() < 3; ++i) {
    Key k = key(("n" + std::to_string(i) + ".example.org.").c_str());
    if (k.hash % Store::kShards == 0) same.push_back(k);
  }
  std::vector<uint8_t> out;
  s.insert(same[0], wire(0), 60, 0);
  s.insert(same[1], wire(1), 60, 0);
  CHECK(s.lookup(same[0], 1, 0, {}, false, false, out).found == Found::fresh);  // referenced
  s.insert(same[2], wire(2), 60, 0);
  CHECK(s.evictions() == 1);
  CHECK(s.entries() == 2);
  CHECK(s.lookup(same[0], 1, 0, {}, false, false, out).found == Found::fresh);
  CHECK(s.lookup(same[1], 1, 0, {}, false, false, out).found == Found::none);
  CHECK(s.lookup(same[2], 1, 0, {}, false, false, out).found == Found::fresh);
  s.erase(same[2]);
  CHECK(s.entries() == 1);
  CHECK(s.lookup(same[2], 1, 0, {}, false, false, out).found == Found::none);
}

TEST_CASE("cache store: a slot freed by erase is reused before anything is evicted", "[cache]") {
  Store s(Store::kShards);  // one slot per shard
  Key a = key("a.example.org."), b = key("b.example.org.");
  b.hash = a.hash;  // the same shard
  std::vector<uint8_t> out;
  s.insert(a, wire(1), 60, 0);
  s.erase(a);
  CHECK(s.entries() == 0);
  b.hash = a.hash + Store::kShards;  // same shard, another index cell
  s.insert(b, wire(2), 60, 0);
  CHECK(s.evictions() == 0);
  CHECK(s.entries() == 1);
  CHECK(s.lookup(b, 0, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(2));
  CHECK(s.lookup(a, 0, 0, {}, false, true, out).found == Found::none);
}
