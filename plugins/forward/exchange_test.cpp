// forward against scripted upstreams on the test's loop: answers, ID and question checks,
// failover, truncation, next, max_concurrent, health checks and counters.
#include <catch2/catch.hpp>

#include "core/plugin/testing.h"
#include "plugins/forward/forward.h"
#include "plugins/forward/test_upstream.h"
#include "plugins/forward/udp_pool.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;
using namespace forward_test;
namespace fwd = cxxdns::plugins::forward;

namespace {

fwd::Forward& forward_of(ChainTest& t) {
  for (auto* p : t.config().plugins()) {
    if (p->name() == "forward") return *static_cast<fwd::Forward*>(p);
  }
  throw std::runtime_error("no forward");
}

std::string addr(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::string corefile(const std::string& directive) {
  return ".:1053 {\n " + directive + "\n whoami\n}\n";
}

// Answers every query with NOERROR and `n` A records.
FakeUpstream::Handler answers(int n) {
  return [n](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 0, n)}; };
}

}  // namespace

TEST_CASE("forward: answers from the upstream, client ID restored, random upstream IDs",
          "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port)));
  FakeUpstream up(t.loop(), answers(2), port);
  std::vector<uint16_t> seen;
  for (int i = 0; i < 4; ++i) {
    QueryOptions o;
    o.id = static_cast<uint16_t>(0x1000 + i);
    auto a = t.query("www.Example.org.", "A", o);
    REQUIRE(a.answered);
    CHECK(a.rcode == "NOERROR");
    CHECK(a.id == o.id);
    REQUIRE(a.answer.size() == 2);
    CHECK(a.answer[0] == "www.Example.org.\t60\tIN\tA\t10.0.0.1");
    seen.push_back(cxxdns::dns::get16(up.queries.back().data()));
  }
  CHECK(up.udp_queries == 4);
  // The upstream never sees the client's IDs (a 1 in 65536 chance per query to fail).
  int same = 0;
  for (int i = 0; i < 4; ++i) same += seen[i] == 0x1000 + i;
  CHECK(same < 2);
  auto& u = *forward_of(t).blocks()[0]->opts.upstreams[0];
  CHECK(u.requests.load() == 4);
  CHECK(u.responses[0].load() == 4);
  CHECK(u.duration_count.load() == 4);
}

TEST_CASE("forward: answers with a wrong ID or question are ignored", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port)));
  FakeUpstream up(
      t.loop(),
      [](const Bytes& q, bool) {
        Bytes other = make_answer(q, 0, 5);
        other[13] ^= 0x20;  // first letter of the name: same name, other case is fine...
        Bytes wrong_name = make_answer(q, 0, 6);
        wrong_name[13] = 'z';  // ...another letter is another question
        Bytes wrong_type = make_answer(q, 0, 7);
        size_t qt = wrong_type.size() - 7 * 16 - 4;
        wrong_type[qt + 1] = 28;
        return std::vector<Bytes>{make_answer(q, 0, 9, 0, 0x0101), wrong_name, wrong_type, other};
      },
      port);
  auto a = t.query("www.example.org.", "A");
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.size() == 5);  // the one whose question matched, case-insensitively
}

TEST_CASE("forward: a silent upstream after a wrong ID fails over", "[forward]") {
  uint16_t bad = dead_port(), good = dead_port();
  // max_fails 0: no health checks, so the upstreams see only the client's query.
  ChainTest t(corefile("forward . " + addr(bad) + " " + addr(good) +
                       " {\n policy sequential\n max_fails 0\n }"));
  FakeUpstream liar(
      t.loop(),
      [](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 0, 9, 0, 0xffff)}; },
      bad);
  FakeUpstream honest(t.loop(), answers(1), good);
  QueryOptions o;
  // The failover comes after the liar's try has waited its 2s; past forward's 5s deadline,
  // so that this timeout cannot come together with it on a machine that keeps this process
  // waiting. Without the failover the query still ends in SERVFAIL at 5s, with no answer.
  o.timeout = std::chrono::milliseconds(8000);
  auto a = t.query("a.example.org.", "A", o);
  REQUIRE(a.answered);
  CHECK(a.answer.size() == 1);
  CHECK(liar.udp_queries == 1);
  CHECK(honest.udp_queries == 1);
}

TEST_CASE("forward: failover past a dead upstream, SERVFAIL when all fail", "[forward]") {
  uint16_t dead = dead_port(), good = dead_port();
  ChainTest t(
      corefile("forward . " + addr(dead) + " " + addr(good) + " {\n policy sequential\n }"));
  FakeUpstream up(t.loop(), answers(1), good);
  auto a = t.query("a.example.org.", "A");
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.size() == 1);
  CHECK(forward_of(t).blocks()[0]->opts.upstreams[0]->requests.load() == 1);

  ChainTest t2(corefile("forward . " + addr(dead_port()) + " " + addr(dead_port())));
  auto b = t2.query("a.example.org.", "A");
  REQUIRE(b.answered);
  CHECK(b.rcode == "SERVFAIL");
}

TEST_CASE("forward: truncated UDP answers are retried over TCP for TCP clients", "[forward]") {
  auto handler = [](const Bytes& q, bool tcp) {
    return std::vector<Bytes>{tcp ? make_answer(q, 0, 40) : make_answer(q, 0, 0, 0x0200)};
  };
  SECTION("prefer_udp: UDP first, TCP after TC") {
    uint16_t port = dead_port();
    ChainTest t(corefile("forward . " + addr(port) + " {\n prefer_udp\n }"));
    FakeUpstream up(t.loop(), handler, port);
    QueryOptions o;
    o.tcp = true;
    auto a = t.query("big.example.org.", "A", o);
    REQUIRE(a.answered);
    CHECK(a.answer.size() == 40);
    CHECK(up.udp_queries == 1);
    CHECK(up.tcp_queries == 1);
  }
  SECTION("UDP client: TC passed on so it retries over TCP; TCP client: TCP upstream") {
    uint16_t port = dead_port();
    ChainTest t(corefile("forward . " + addr(port)));
    FakeUpstream up(t.loop(), handler, port);
    auto a = t.query("big.example.org.", "A");
    REQUIRE(a.answered);
    CHECK(a.tc());
    QueryOptions o;
    o.tcp = true;
    auto b = t.query("big.example.org.", "A", o);
    CHECK(b.answer.size() == 40);
    CHECK(up.udp_queries == 1);
    CHECK(up.tcp_queries == 1);
  }
  SECTION("force_tcp") {
    uint16_t port = dead_port();
    ChainTest t(corefile("forward . " + addr(port) + " {\n force_tcp\n }"));
    FakeUpstream up(t.loop(), handler, port);
    auto a = t.query("big.example.org.", "A", QueryOptions{.tcp = true});
    CHECK(a.answer.size() == 40);
    auto b = t.query("b.example.org.", "A");  // UDP client: TCP all the same
    CHECK(b.answered);
    CHECK(up.udp_queries == 0);
    CHECK(up.tcp_queries == 2);
  }
}

TEST_CASE("forward: names outside FROM or in except go to the next plugin", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward example.org " + addr(port) + " {\n except in.example.org\n }"));
  FakeUpstream up(t.loop(), answers(1), port);
  auto a = t.query("www.example.org.", "A");
  CHECK(a.answer.size() == 1);
  auto b = t.query("x.in.example.org.", "A");  // whoami answers
  CHECK(b.answer.empty());
  CHECK(b.additional.size() >= 1);
  auto c = t.query("example.net.", "A");
  CHECK(c.additional.size() >= 1);
  CHECK(up.udp_queries == 1);
}

TEST_CASE("forward: next RCODE goes to the next forward directive", "[forward]") {
  uint16_t p1 = dead_port(), p2 = dead_port();
  ChainTest t(".:1053 {\n forward . " + addr(p1) + " {\n next NXDOMAIN\n }\n forward . " +
              addr(p2) + "\n}\n");
  FakeUpstream nx(
      t.loop(),
      [](const Bytes& q, bool) {
        return std::vector<Bytes>{make_answer(q, q[13] == 'n' ? 3 : 2, 0)};
      },
      p1);
  FakeUpstream ok(t.loop(), answers(3), p2);
  auto a = t.query("nx.example.org.", "A");
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.size() == 3);
  auto b = t.query("sf.example.org.", "A");  // SERVFAIL is not in `next`: it stands
  CHECK(b.rcode == "SERVFAIL");
  CHECK(ok.udp_queries == 1);
}

TEST_CASE("forward: max_concurrent refuses what is over the limit", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_concurrent 1\n }"));
  FakeUpstream silent(
      t.loop(), [](const Bytes&, bool) { return std::vector<Bytes>{}; }, port);
  QueryOptions o;
  o.timeout = std::chrono::milliseconds(100);
  auto first = t.query("a.example.org.", "A", o);  // still waiting upstream
  CHECK(!first.answered);
  auto second = t.query("b.example.org.", "A", o);
  REQUIRE(second.answered);
  CHECK(second.rcode == "REFUSED");
  CHECK(forward_of(t).max_concurrent_rejects() == 1);
}

TEST_CASE("forward: health checks mark upstreams down and up again", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) +
                       " {\n max_fails 2\n health_check 50ms\n"
                       " failfast_all_unhealthy_upstreams\n }"));
  auto& u = *forward_of(t).blocks()[0]->opts.upstreams[0];
  // Nothing is checked before a try fails.
  t.run_for(std::chrono::milliseconds(200));
  CHECK(u.healthcheck_failures.load() == 0);
  CHECK(t.query("a.example.org.", "A").rcode == "SERVFAIL");
  // Two probes refused, 50ms apart: waited for, as a machine that keeps this process
  // waiting runs the ticks it missed only once. Checks that never start still fail here.
  t.run_until([&] { return u.down(2) && u.healthcheck_failures.load() >= 2; },
              std::chrono::milliseconds(3000));
  CHECK(u.down(2));
  CHECK(u.healthcheck_failures.load() >= 2);
  const uint64_t tried = u.requests.load();
  auto a = t.query("a.example.org.", "A");
  CHECK(a.rcode == "SERVFAIL");
  CHECK(u.requests.load() == tried);  // failfast: not even tried

  FakeUpstream up(t.loop(), answers(1), port);
  // Up at the next probe; checks that stop while the upstream is down still fail here.
  t.run_until([&] { return !u.down(2); }, std::chrono::milliseconds(3000));
  CHECK(!u.down(2));
  REQUIRE(!up.queries.empty());
  // The probe: `. IN NS` with RD.
  auto& probe = up.queries.front();
  CHECK((cxxdns::dns::get16(probe.data() + 2) & 0x0100) != 0);
  CHECK(probe[12] == 0);
  CHECK(cxxdns::dns::get16(probe.data() + 13) == 2);
  auto b = t.query("a.example.org.", "A");
  CHECK(b.answer.size() == 1);
}

TEST_CASE("forward: all upstreams down without failfast tries one anyway", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 1\n health_check 20s\n }"));
  auto& u = *forward_of(t).blocks()[0]->opts.upstreams[0];
  u.fails = 5;  // as if checks had failed
  FakeUpstream up(t.loop(), answers(1), port);
  auto a = t.query("a.example.org.", "A");
  CHECK(a.answer.size() == 1);
  CHECK(forward_of(t).healthcheck_broken() == 1);
}

TEST_CASE("forward: round_robin and sequential orders", "[forward]") {
  uint16_t p1 = dead_port(), p2 = dead_port();
  SECTION("sequential") {
    ChainTest t(corefile("forward . " + addr(p1) + " " + addr(p2) + " {\n policy sequential\n }"));
    FakeUpstream a(t.loop(), answers(1), p1), b(t.loop(), answers(1), p2);
    for (int i = 0; i < 4; ++i) t.query("a.example.org.", "A");
    CHECK(a.udp_queries == 4);
    CHECK(b.udp_queries == 0);
  }
  SECTION("round_robin") {
    ChainTest t(corefile("forward . " + addr(p1) + " " + addr(p2) + " {\n policy round_robin\n }"));
    FakeUpstream a(t.loop(), answers(1), p1), b(t.loop(), answers(1), p2);
    for (int i = 0; i < 4; ++i) t.query("a.example.org.", "A");
    CHECK(a.udp_queries == 2);
    CHECK(b.udp_queries == 2);
  }
}

TEST_CASE("forward: TCP connections are reused until expire", "[forward]") {
  uint16_t port = dead_port();
  SECTION("reused") {
    ChainTest t(corefile("forward . " + addr(port) + " {\n force_tcp\n max_fails 0\n }"));
    FakeUpstream up(t.loop(), answers(1), port);
    for (int i = 0; i < 3; ++i) CHECK(t.query("a.example.org.", "A").answer.size() == 1);
    CHECK(up.tcp_queries == 3);
    CHECK(up.connections == 1);
    auto& u = *forward_of(t).blocks()[0]->opts.upstreams[0];
    CHECK(u.tcp_conn_misses.load() == 1);
    CHECK(u.tcp_conn_hits.load() == 2);
  }
  SECTION("expired") {
    ChainTest t(
        corefile("forward . " + addr(port) + " {\n force_tcp\n max_fails 0\n expire 50ms\n }"));
    FakeUpstream up(t.loop(), answers(1), port);
    CHECK(t.query("a.example.org.", "A").answer.size() == 1);
    t.run_for(std::chrono::milliseconds(120));
    CHECK(t.query("a.example.org.", "A").answer.size() == 1);
    CHECK(up.connections == 2);
  }
  SECTION("closed by the upstream: a new connection, no failure") {
    ChainTest t(corefile("forward . " + addr(port) + " {\n force_tcp\n max_fails 0\n }"));
    FakeUpstream up(t.loop(), answers(1), port);
    up.close_after_answer = true;
    for (int i = 0; i < 3; ++i) {
      auto a = t.query("a.example.org.", "A");
      CHECK(a.rcode == "NOERROR");
      CHECK(a.answer.size() == 1);
    }
    CHECK(up.connections == 3);
  }
  SECTION("a new connection closed before the answer: asked once more on another") {
    // A busy upstream sheds connections (unbound, short of TCP slots, closes them after
    // 200 ms idle); CoreDNS asks again. The first connection is closed unanswered.
    ChainTest t(corefile("forward . " + addr(port) + " {\n force_tcp\n max_fails 0\n }"));
    int seen = 0;
    FakeUpstream up(
        t.loop(),
        [&](const Bytes& q, bool) {
          return ++seen == 1 ? std::vector<Bytes>{} : std::vector<Bytes>{make_answer(q, 0, 1)};
        },
        port);
    up.close_after_answer = true;
    auto a = t.query("a.example.org.", "A");
    CHECK(a.rcode == "NOERROR");
    CHECK(a.answer.size() == 1);
    CHECK(up.tcp_queries == 2);
    CHECK(up.connections == 2);
  }
  SECTION("an upstream that closes every connection: one retry, then SERVFAIL") {
    ChainTest t(corefile("forward . " + addr(port) + " {\n force_tcp\n max_fails 0\n }"));
    FakeUpstream up(
        t.loop(), [](const Bytes&, bool) { return std::vector<Bytes>{}; }, port);
    up.close_after_answer = true;
    auto began = std::chrono::steady_clock::now();
    auto a = t.query("a.example.org.", "A");
    CHECK(a.rcode == "SERVFAIL");
    CHECK(up.tcp_queries == 2);  // not again and again until the 5 s deadline
    // Milliseconds when it works; room for a machine that keeps this process waiting, while
    // a query spinning on new connections until the 5 s deadline still fails.
    CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(4));
  }
}

TEST_CASE("forward: UDP sockets are reused for a while, then the source port changes",
          "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
  FakeUpstream up(t.loop(), answers(1), port);
  const int n = 2 * int(fwd::kUdpMaxUses) + 50;
  for (int i = 0; i < n; ++i) {
    auto a = t.query("u" + std::to_string(i) + ".example.org.", "A");
    REQUIRE(a.rcode == "NOERROR");
    REQUIRE(a.answer.size() == 1);
  }
  REQUIRE(up.udp_source_ports.size() == size_t(n));
  // One query at a time: each socket serves kUdpMaxUses queries, then a new one (a new
  // random port from the kernel) takes over.
  std::set<uint16_t> ports(up.udp_source_ports.begin(), up.udp_source_ports.end());
  CHECK(ports.size() >= 3);
  CHECK(ports.size() < 10);
  size_t run = 1, longest = 1;
  for (size_t i = 1; i < up.udp_source_ports.size(); ++i) {
    run = up.udp_source_ports[i] == up.udp_source_ports[i - 1] ? run + 1 : 1;
    longest = std::max(longest, run);
  }
  CHECK(longest == fwd::kUdpMaxUses);
  // Every query its own random ID, even on one socket.
  std::set<uint16_t> ids;
  for (auto& q : up.queries) ids.insert(cxxdns::dns::get16(q.data()));
  CHECK(ids.size() > size_t(n) * 9 / 10);
}

TEST_CASE("forward: an idle UDP socket is retired after its time", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
  FakeUpstream up(t.loop(), answers(1), port);
  CHECK(t.query("a.example.org.", "A").answer.size() == 1);
  CHECK(t.query("b.example.org.", "A").answer.size() == 1);
  t.run_for(std::chrono::milliseconds(fwd::kUdpMaxAgeMs + 100));
  CHECK(t.query("c.example.org.", "A").answer.size() == 1);
  REQUIRE(up.udp_source_ports.size() == 3);
  CHECK(up.udp_source_ports[0] == up.udp_source_ports[1]);
  CHECK(up.udp_source_ports[2] != up.udp_source_ports[1]);
}
