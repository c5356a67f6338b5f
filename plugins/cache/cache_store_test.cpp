// cache: the store on its own: full-key comparison, aging, CLOCK eviction, erase, the two
// pools under one index.
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
  Store s(1024, 1024);
  Key a = key("a.example.org."), b = key("b.example.org.");
  b.hash = a.hash;  // forced collision
  s.insert(Pool::success, a, wire(1), 60, 0);
  std::vector<uint8_t> out;
  CHECK(s.lookup(b, kSec, 0, {}, false, true, out).found == Found::none);
  CHECK(s.lookup(a, kSec, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(1));
  s.insert(Pool::success, b, wire(2), 60, 0);  // replaces the colliding entry
  CHECK(s.lookup(a, kSec, 0, {}, false, true, out).found == Found::none);
  CHECK(s.lookup(b, kSec, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(2));
  CHECK(s.entries(Pool::success) == 1);
}

TEST_CASE("cache store: keys differ by type and case-folded name", "[cache]") {
  CHECK(key("A.Example.org.") == key("a.example.org."));
  CHECK(key("A.Example.org.").hash == key("a.example.org.").hash);
  CHECK_FALSE(key("a.example.org.", 1) == key("a.example.org.", 28));
}

TEST_CASE("cache store: remaining TTL, stale window, expiry", "[cache]") {
  Store s(1024, 1024);
  Key a = key("a.example.org.");
  s.insert(Pool::success, a, wire(1), 10, 100 * kSec);
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
  Store s(64 * 2, 64);  // two success slots per shard
  // Three keys of one shard.
  std::vector<Key> same;
  for (int i = 0; same.size() < 3; ++i) {
    Key k = key(("n" + std::to_string(i) + ".example.org.").c_str());
    if (k.hash % Store::kShards == 0) same.push_back(k);
  }
  std::vector<uint8_t> out;
  s.insert(Pool::success, same[0], wire(0), 60, 0);
  s.insert(Pool::success, same[1], wire(1), 60, 0);
  CHECK(s.lookup(same[0], 1, 0, {}, false, false, out).found == Found::fresh);  // referenced
  s.insert(Pool::success, same[2], wire(2), 60, 0);
  CHECK(s.evictions(Pool::success) == 1);
  CHECK(s.entries(Pool::success) == 2);
  CHECK(s.lookup(same[0], 1, 0, {}, false, false, out).found == Found::fresh);
  CHECK(s.lookup(same[1], 1, 0, {}, false, false, out).found == Found::none);
  CHECK(s.lookup(same[2], 1, 0, {}, false, false, out).found == Found::fresh);
  s.erase(same[2]);
  CHECK(s.entries(Pool::success) == 1);
  CHECK(s.lookup(same[2], 1, 0, {}, false, false, out).found == Found::none);
}

TEST_CASE("cache store: a slot freed by erase is reused before anything is evicted", "[cache]") {
  Store s(Store::kShards, Store::kShards);  // one slot a shard in each pool
  Key a = key("a.example.org."), b = key("b.example.org.");
  b.hash = a.hash;  // the same shard
  std::vector<uint8_t> out;
  s.insert(Pool::success, a, wire(1), 60, 0);
  s.erase(a);
  CHECK(s.entries(Pool::success) == 0);
  b.hash = a.hash + Store::kShards;  // same shard, another index cell
  s.insert(Pool::success, b, wire(2), 60, 0);
  CHECK(s.evictions(Pool::success) == 0);
  CHECK(s.entries(Pool::success) == 1);
  CHECK(s.lookup(b, 0, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(2));
  CHECK(s.lookup(a, 0, 0, {}, false, true, out).found == Found::none);
}

TEST_CASE("cache store: one entry per question, success or denial", "[cache]") {
  Store s(1024, 1024);
  Key a = key("a.example.org.");
  std::vector<uint8_t> out;
  s.insert(Pool::success, a, wire(1), 60, 0);
  s.insert(Pool::denial, a, wire(2), 30, 0);  // NXDOMAIN now: the answer goes
  CHECK(s.entries(Pool::success) == 0);
  CHECK(s.entries(Pool::denial) == 1);
  Lookup r = s.lookup(a, kSec, 0, {}, false, true, out);
  CHECK(r.found == Found::fresh);
  CHECK(r.pool == Pool::denial);
  CHECK(r.ttl == 30);
  CHECK(out == wire(2));
  s.insert(Pool::success, a, wire(3), 60, 0);  // and back
  CHECK(s.entries(Pool::success) == 1);
  CHECK(s.entries(Pool::denial) == 0);
  r = s.lookup(a, kSec, 0, {}, false, true, out);
  CHECK(r.pool == Pool::success);
  CHECK(out == wire(3));
  CHECK(s.evictions(Pool::success) + s.evictions(Pool::denial) == 0);
}

TEST_CASE("cache store: each pool evicts only its own entries", "[cache]") {
  Store s(Store::kShards, Store::kShards);  // one slot a shard in each pool
  std::vector<Key> same;                    // keys of one shard
  for (int i = 0; same.size() < 3; ++i) {
    Key k = key(("n" + std::to_string(i) + ".example.org.").c_str());
    if (k.hash % Store::kShards == 0) same.push_back(k);
  }
  std::vector<uint8_t> out;
  s.insert(Pool::success, same[0], wire(0), 60, 0);
  s.insert(Pool::denial, same[1], wire(1), 60, 0);
  s.insert(Pool::denial, same[2], wire(2), 60, 0);  // the shard's denial slot is full
  CHECK(s.evictions(Pool::denial) == 1);
  CHECK(s.evictions(Pool::success) == 0);
  CHECK(s.lookup(same[0], 1, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(0));
  CHECK(s.lookup(same[1], 1, 0, {}, false, false, out).found == Found::none);
  CHECK(s.lookup(same[2], 1, 0, {}, false, false, out).found == Found::fresh);
}

TEST_CASE("cache store: a replaced answer of another size is read back whole", "[cache]") {
  Store s(1024, 1024);
  Key a = key("a.example.org.");
  std::vector<uint8_t> big(300, 7), out;
  s.insert(Pool::success, a, big, 60, 0);
  s.insert(Pool::success, a, wire(5), 60, 0);  // shorter: no bytes of the old one left
  CHECK(s.lookup(a, 1, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == wire(5));
  s.insert(Pool::success, a, big, 60, 0);
  CHECK(s.lookup(a, 1, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == big);
}

TEST_CASE("cache store: bounded in bytes as well as in entries", "[cache]") {
  // 64 shards of 8 KB each: about seven 1 KB answers a shard.
  Store s(100000, 100000, 64 * 8192);
  CHECK(s.max_bytes() == 64 * 8192);
  std::vector<uint8_t> big(1000, 7);
  for (int i = 0; i < 2000; ++i) {
    std::string name = "n" + std::to_string(i) + ".example.org.";
    CHECK(s.insert(i % 2 ? Pool::denial : Pool::success, key(name.c_str()), big, 60, 0));
  }
  const size_t bytes = s.bytes(Pool::success) + s.bytes(Pool::denial);
  CHECK(bytes <= s.max_bytes());
  CHECK(bytes > s.max_bytes() / 2);
  CHECK(s.entries(Pool::success) + s.entries(Pool::denial) < 600);
  CHECK(s.evictions(Pool::success) + s.evictions(Pool::denial) > 1400);
  // The last answer stored is there.
  std::vector<uint8_t> out;
  CHECK(s.lookup(key("n1999.example.org."), kSec, 0, {}, false, true, out).found == Found::fresh);
  CHECK(out == big);
}

TEST_CASE("cache store: an answer larger than a shard's share is not cached", "[cache]") {
  Store s(1024, 1024, 64 * 8192);
  Key a = key("a.example.org.");
  CHECK(s.insert(Pool::success, a, wire(1), 60, 0));
  // A newer answer for the question that is too large: the old one goes too.
  CHECK_FALSE(s.insert(Pool::success, a, std::vector<uint8_t>(9000, 1), 60, 0));
  std::vector<uint8_t> out;
  CHECK(s.lookup(a, kSec, 0, {}, false, true, out).found == Found::none);
  CHECK(s.bytes(Pool::success) == 0);
  CHECK(s.entries(Pool::success) == 0);
}

TEST_CASE("cache store: bytes follow replacements and erasures", "[cache]") {
  Store s(1024, 1024);
  Key a = key("a.example.org.");
  s.insert(Pool::success, a, std::vector<uint8_t>(4000, 1), 60, 0);
  const size_t large = s.bytes(Pool::success);
  CHECK(large >= 4000);
  s.insert(Pool::success, a, wire(2), 60, 0);  // the buffer shrinks with its answer
  CHECK(s.bytes(Pool::success) < 1000);
  s.insert(Pool::denial, a, wire(3), 60, 0);  // moves to the other kind
  CHECK(s.bytes(Pool::success) == 0);
  CHECK(s.bytes(Pool::denial) > 0);
  s.erase(a);
  CHECK(s.bytes(Pool::denial) == 0);
}
