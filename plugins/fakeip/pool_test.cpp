#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/dns/reverse.h"
#include "plugins/fakeip/pool.h"

using cxxdns::plugins::Cidr;
using cxxdns::plugins::FakePool;

namespace {

Cidr cidr(const char* s) {
  Cidr c;
  REQUIRE(Cidr::parse(s, c).empty());
  return c;
}

std::string ip(const FakePool& p, const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(p.range().family == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
  return buf;
}

std::string assign(FakePool& p, const char* name) {
  uint8_t a[16];
  p.lookup_or_assign(name, a);
  return ip(p, a);
}

}  // namespace

TEST_CASE("fakeip Cidr parsing", "[fakeip]") {
  Cidr c;
  CHECK(Cidr::parse("198.18.0.0/15", c).empty());
  CHECK(c.family == 4);
  CHECK(c.prefix == 15);
  CHECK(Cidr::parse("198.19.1.2/15", c).empty());
  CHECK(c.to_string() == "198.18.0.0/15");  // host bits cleared
  CHECK(Cidr::parse("fc00::/18", c).empty());
  CHECK(c.family == 6);
  CHECK_FALSE(Cidr::parse("198.18.0.0", c).empty());
  CHECK_FALSE(Cidr::parse("198.18.0.0/33", c).empty());
  CHECK_FALSE(Cidr::parse("198.18.0/16", c).empty());
  CHECK_FALSE(Cidr::parse("fc00::/129", c).empty());
  CHECK_FALSE(Cidr::parse("10.0.0.0/x", c).empty());
  CHECK_FALSE(Cidr::parse("10.0.0.0/", c).empty());
}

TEST_CASE("fakeip pool: allocation, stability, capacity", "[fakeip]") {
  FakePool p(cidr("198.18.0.0/15"));
  CHECK(p.capacity() == 131070);
  uint8_t a[16];
  auto r = p.lookup_or_assign("a.example.", a);
  CHECK(r.allocated);
  CHECK_FALSE(r.recycled);
  CHECK(ip(p, a) == "198.18.0.1");  // never the network address
  r = p.lookup_or_assign("b.example.", a);
  CHECK(ip(p, a) == "198.18.0.2");
  r = p.lookup_or_assign("a.example.", a);
  CHECK_FALSE(r.allocated);
  CHECK(ip(p, a) == "198.18.0.1");
  CHECK(p.used() == 2);
}

TEST_CASE("fakeip pool: a /29 hands out 6 addresses, never network or broadcast", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/29"));
  REQUIRE(p.capacity() == 6);
  std::set<std::string> seen;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i)
      seen.insert(assign(p, ("n" + std::to_string(round * 10 + i) + ".").c_str()));
  }
  CHECK(seen == std::set<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
                                      "10.0.0.6"});
  CHECK(p.used() == 6);
}

TEST_CASE("fakeip pool: a full pool recycles the least recently used", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/29"));
  for (int i = 1; i <= 6; ++i) assign(p, ("n" + std::to_string(i) + ".").c_str());
  // A hit refreshes n1: n2 is now the least recently used.
  CHECK(assign(p, "n1.") == "10.0.0.1");
  uint8_t a[16];
  auto r = p.lookup_or_assign("new.", a);
  CHECK(r.allocated);
  CHECK(r.recycled);
  CHECK(ip(p, a) == "10.0.0.2");
  std::string name;
  REQUIRE(p.reverse(a, name) == FakePool::Reverse::mapped);
  CHECK(name == "new.");
  // n2 lost its address; asking again takes the next LRU one (n3's).
  CHECK(assign(p, "n2.") == "10.0.0.3");
  CHECK(assign(p, "n1.") == "10.0.0.1");
  CHECK(p.used() == 6);
}

TEST_CASE("fakeip pool: reverse lookups", "[fakeip]") {
  FakePool p(cidr("198.18.0.0/15"));
  assign(p, "www.example.");
  uint8_t a[4] = {198, 18, 0, 1};
  std::string name;
  CHECK(p.reverse(a, name) == FakePool::Reverse::mapped);
  CHECK(name == "www.example.");
  uint8_t b[4] = {198, 19, 255, 254};
  CHECK(p.reverse(b, name) == FakePool::Reverse::unmapped);
  uint8_t c[4] = {198, 20, 0, 1};
  CHECK(p.reverse(c, name) == FakePool::Reverse::outside);
}

TEST_CASE("fakeip pool: IPv6 range", "[fakeip]") {
  FakePool p(cidr("fc00::/18"));
  CHECK(p.capacity() == FakePool::kDefaultSize);  // not 2^110: `size` bounds it
  CHECK(FakePool(cidr("fc00::/18"), 1000).capacity() == 1000);
  CHECK(FakePool(cidr("fc00::/18"), uint64_t(1) << 30).capacity() == FakePool::kMaxSize);
  CHECK(FakePool(cidr("10.0.0.0/29"), 1000).capacity() == 6);
  CHECK(assign(p, "a.") == "fc00::1");
  CHECK(assign(p, "b.") == "fc00::2");
  CHECK(assign(p, "a.") == "fc00::1");
  uint8_t x[16];
  inet_pton(AF_INET6, "fc00::2", x);
  std::string name;
  CHECK(p.reverse(x, name) == FakePool::Reverse::mapped);
  CHECK(name == "b.");
  inet_pton(AF_INET6, "fc00:1::2", x);  // in the /18, beyond what is handed out
  CHECK(p.reverse(x, name) == FakePool::Reverse::unmapped);
  inet_pton(AF_INET6, "fd00::2", x);
  CHECK(p.reverse(x, name) == FakePool::Reverse::outside);
}

TEST_CASE("fakeip pool: offsets of persisted addresses", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/29"));
  uint64_t off;
  CHECK(p.offset_of("10.0.0.1", off));
  CHECK(off == 1);
  CHECK(p.offset_of("10.0.0.6", off));
  CHECK_FALSE(p.offset_of("10.0.0.0", off));  // network
  CHECK_FALSE(p.offset_of("10.0.0.7", off));  // broadcast
  CHECK_FALSE(p.offset_of("10.0.0.8", off));
  CHECK_FALSE(p.offset_of("junk", off));
  p.insert("x.", 3);
  CHECK(assign(p, "x.") == "10.0.0.3");
  CHECK(assign(p, "z.") == "10.0.0.1");  // the addresses below are free, lowest first
  // Loading a log: a later line wins for its name and for its address.
  p.insert("x.", 4);  // x moved: .3 is free again
  p.insert("y.", 4);  // .4 given to y: x lost it
  CHECK(p.used() == 2);
  CHECK(assign(p, "y.") == "10.0.0.4");
  std::string name;
  uint8_t a3[4] = {10, 0, 0, 3};
  CHECK(p.reverse(a3, name) == FakePool::Reverse::unmapped);
  CHECK(assign(p, "x.") == "10.0.0.2");  // the lowest free one
  CHECK(assign(p, "w.") == "10.0.0.3");
}

TEST_CASE("fakeip pool: nothing used within the window is recycled", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/29"));  // 6 addresses
  uint8_t a[16];
  for (int i = 1; i <= 6; ++i) {
    auto r = p.lookup_or_assign("n" + std::to_string(i) + ".", a, 100 + i, 60);
    CHECK(r.allocated);
  }
  // At 130 s every mapping was handed out less than 60 s ago: a new name gets nothing.
  auto r = p.lookup_or_assign("attacker.", a, 130, 60);
  CHECK(r.exhausted);
  CHECK_FALSE(r.allocated);
  CHECK(p.used() == 6);
  // n1 (handed out at 101) is looked up by address at 150 (the gateway routing to it): it
  // stays protected while n2 (102) may go at 162.
  uint8_t n1[4] = {10, 0, 0, 1};
  std::string name;
  CHECK(p.reverse(n1, name, 150) == FakePool::Reverse::mapped);
  CHECK(p.lookup_or_assign("attacker.", a, 161, 60).exhausted);
  r = p.lookup_or_assign("attacker.", a, 162, 60);
  CHECK(r.recycled);
  CHECK(ip(p, a) == "10.0.0.2");
  CHECK(p.reverse(n1, name, 162) == FakePool::Reverse::mapped);
  CHECK(name == "n1.");
}

TEST_CASE("fakeip pool: admission is asked only for new names", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/24"));
  uint8_t a[16];
  int asked = 0;
  auto no = [&] { return ++asked, false; };
  auto yes = [&] { return ++asked, true; };
  CHECK(p.lookup_or_assign("a.", a, 1, 0, yes).allocated);
  CHECK(p.lookup_or_assign("a.", a, 1, 0, no).allocated == false);  // a hit: not asked
  CHECK(asked == 1);
  auto r = p.lookup_or_assign("b.", a, 1, 0, no);
  CHECK(r.refused);
  CHECK(p.used() == 1);
}

TEST_CASE("fakeip pool: journals hand each persister the new mappings", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/24"));
  int j1 = p.open_journal(), j2 = p.open_journal();
  assign(p, "a.");
  assign(p, "b.");
  std::vector<std::pair<std::string, std::string>> got;
  REQUIRE(p.take_journal(j1, got));
  CHECK(got ==
        std::vector<std::pair<std::string, std::string>>{{"10.0.0.1", "a."}, {"10.0.0.2", "b."}});
  assign(p, "a.");  // a hit is no new mapping
  assign(p, "c.");
  got.clear();
  REQUIRE(p.take_journal(j1, got));
  CHECK(got.size() == 1);
  got.clear();
  REQUIRE(p.take_journal(j2, got));  // the other persister still has all three
  CHECK(got.size() == 3);
  p.close_journal(j2);
  CHECK_FALSE(p.take_journal(j2, got));
}

TEST_CASE("fakeip reverse names", "[fakeip]") {
  uint8_t a[16];
  CHECK(cxxdns::dns::parse_reverse_name("1.0.18.198.in-addr.arpa.", a) == 4);
  CHECK((a[0] == 198 && a[1] == 18 && a[2] == 0 && a[3] == 1));
  CHECK(cxxdns::dns::parse_reverse_name("0.18.198.in-addr.arpa.", a) == 0);
  CHECK(cxxdns::dns::parse_reverse_name("256.0.18.198.in-addr.arpa.", a) == 0);
  CHECK(cxxdns::dns::parse_reverse_name("01.0.18.198.in-addr.arpa.", a) == 0);
  CHECK(cxxdns::dns::parse_reverse_name("www.example.", a) == 0);
  CHECK(cxxdns::dns::parse_reverse_name(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.f.ip6.arpa.", a) == 6);
  uint8_t want[16];
  inet_pton(AF_INET6, "fc00::1", want);
  CHECK(std::equal(a, a + 16, want));
  CHECK(cxxdns::dns::parse_reverse_name("1.0.c.f.ip6.arpa.", a) == 0);
}

TEST_CASE("fakeip pool: shared by threads, one address per name", "[fakeip]") {
  FakePool p(cidr("10.0.0.0/16"));
  constexpr int kThreads = 4, kNames = 2000;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kNames; ++i) {
        // Every thread asks for every name, in a different order.
        int n = (i * (t + 1) * 7919) % kNames;
        got[t].push_back(std::to_string(n) + "=" +
                         assign(p, ("n" + std::to_string(n) + ".").c_str()));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> pairs;
  for (auto& v : got) pairs.insert(v.begin(), v.end());
  std::set<std::string> addrs;
  for (auto& s : pairs) addrs.insert(s.substr(s.find('=') + 1));
  CHECK(pairs.size() == kNames);  // each name got one address, whichever thread asked
  CHECK(addrs.size() == kNames);  // and no address went to two names
  CHECK(p.used() == kNames);
}
