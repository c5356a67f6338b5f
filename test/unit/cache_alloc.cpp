// cache: a warm hit allocates nothing. Counts global operator new around the hit.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "test/unit/cache_fixture.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<size_t> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// Every form is replaced, so all of new/delete agree on malloc/free (sanitizers check that).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {
class NullSink final : public cxxdns::ReplySink {
 public:
  void deliver(cxxdns::QueryContext& ctx) override {
    ++delivered;
    last_size = ctx.response().size();
  }
  int delivered = 0;
  size_t last_size = 0;
};
}  // namespace

TEST_CASE("cache: a warm hit does not allocate", "[cache]") {
  cache_test::Fixture f("cache");
  auto& chain = f.t.config().blocks[0]->chain;
  cxxdns::WorkerInfo worker;
  NullSink sink;
  cxxdns::QueryContext ctx;
  ctx.bind(&worker, &sink, nullptr);
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  const auto wire = cxxdns::testing::make_query("Www.Example.org.", cxxdns::dns::type::A, o);
  cxxdns::ClientAddress client;
  client.storage.ss_family = AF_INET;
  auto run = [&] {
    ctx.reset();
    REQUIRE(ctx.load(wire, cxxdns::Transport::udp, client) == cxxdns::dns::QueryCheck::ok);
    ctx.run(&chain);
  };
  run();  // miss: stored
  run();  // first hit: the buffers grow
  REQUIRE(cache_test::script.calls == 1);
  REQUIRE(f.cache->hits_success() == 1);

  cache_test::advance(10);
  ctx.reset();
  REQUIRE(ctx.load(wire, cxxdns::Transport::udp, client) == cxxdns::dns::QueryCheck::ok);
  allocations = 0;
  counting = true;
  ctx.run(&chain);
  counting = false;
  CHECK(allocations == 0);
  CHECK(f.cache->hits_success() == 2);
  CHECK(sink.delivered == 3);
  CHECK(cache_test::script.calls == 1);
  auto a = cxxdns::testing::parse_answer(ctx.response());
  REQUIRE(a.answer.size() == 1);
  CHECK(cache_test::ttl_of(a.answer[0]) == 290);

  // The counter works: a miss (the upstream builds a new answer into a fresh entry) counts.
  const auto other = cxxdns::testing::make_query("other.example.org.", cxxdns::dns::type::A, o);
  ctx.reset();
  REQUIRE(ctx.load(other, cxxdns::Transport::udp, client) == cxxdns::dns::QueryCheck::ok);
  allocations = 0;
  counting = true;
  ctx.run(&chain);
  counting = false;
  CHECK(allocations > 0);
}

// Not run by default: ./build/test/cxxdns_unit "[cache-bench]" prints the time of a hit
// through the whole chain (cache, patch, server finalize), without sockets.
TEST_CASE("cache: hit path timing", "[.][cache-bench]") {
  cache_test::Fixture f("cache");
  auto& chain = f.t.config().blocks[0]->chain;
  cxxdns::WorkerInfo worker;
  NullSink sink;
  cxxdns::QueryContext ctx;
  ctx.bind(&worker, &sink, nullptr);
  cxxdns::testing::QueryOptions o;
  o.bufsize = 1232;
  const auto wire = cxxdns::testing::make_query("www.example.org.", cxxdns::dns::type::A, o);
  cxxdns::ClientAddress client;
  client.storage.ss_family = AF_INET;
  constexpr int kRuns = 1000000;
  uint64_t t0 = 0;
  for (int i = -1; i < kRuns; ++i) {
    if (i == 0) t0 = cxxdns::QueryContext::now_ns();
    ctx.reset();
    ctx.load(wire, cxxdns::Transport::udp, client);
    ctx.run(&chain);
  }
  const double ns = double(cxxdns::QueryContext::now_ns() - t0) / kRuns;
  WARN("load + hit + finalize: " << ns << " ns/query");
  CHECK(f.cache->hits_success() == uint64_t(kRuns));
}
