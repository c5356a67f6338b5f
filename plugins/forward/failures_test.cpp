// forward against upstreams that misbehave: malformed answers, lost packets, failover
// RCODEs, health checks only after a failure, and the client's EDNS on forwarded answers.
#include <catch2/catch.hpp>

#include "core/dns/shape.h"
#include "plugins/forward/test_chain.h"
#include "plugins/forward/test_upstream.h"

using cxxdns::testing::ChainTest;
using cxxdns::testing::QueryOptions;
using namespace forward_test;
namespace dns = cxxdns::dns;

namespace {

// An OPT record (root owner) with `size` and the DO bit.
Bytes opt_rr(uint16_t size, bool do_bit) {
  return {0, 0, 41, uint8_t(size >> 8), uint8_t(size), 0, 0, uint8_t(do_bit ? 0x80 : 0), 0, 0, 0};
}

// `answer` with `rr` appended to the section whose count is at header offset `count_at`.
Bytes with_record(Bytes answer, const Bytes& rr, size_t count_at) {
  answer.insert(answer.end(), rr.begin(), rr.end());
  dns::put16(answer.data() + count_at, uint16_t(dns::get16(answer.data() + count_at) + 1));
  return answer;
}

FakeUpstream::Handler scripted(std::function<Bytes(const Bytes&)> f) {
  return [f](const Bytes& q, bool) { return std::vector<Bytes>{f(q)}; };
}

}  // namespace

TEST_CASE("forward: malformed upstream answers are SERVFAIL, asked once", "[forward]") {
  struct Case {
    const char* what;
    std::function<Bytes(const Bytes&)> answer;
  };
  const Case cases[] = {
      {"OPT in the answer section",
       [](const Bytes& q) { return with_record(make_answer(q, 0, 0), opt_rr(1232, false), 6); }},
      {"two OPTs",
       [](const Bytes& q) {
         return with_record(with_record(make_answer(q, 0, 1), opt_rr(1232, false), 10),
                            opt_rr(512, false), 10);
       }},
      {"another opcode",
       [](const Bytes& q) {
         Bytes a = make_answer(q, 0, 1);
         a[2] |= 0x10;  // opcode 2 (STATUS)
         return a;
       }},
      {"a record cut short",
       [](const Bytes& q) {
         Bytes a = make_answer(q, 0, 2);
         a.resize(a.size() - 3);
         return a;
       }},
      {"an OPT not owned by the root",
       [](const Bytes& q) {
         Bytes rr = opt_rr(1232, false);
         rr[0] = 0xc0;  // a pointer to the question's name
         rr.insert(rr.begin() + 1, 0x0c);
         return with_record(make_answer(q, 0, 1), rr, 10);
       }},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      uint16_t port = dead_port();
      ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
      FakeUpstream up(t.loop(), scripted(c.answer), port);
      QueryOptions o;
      o.bufsize = 1232;
      auto a = t.query("a.example.org.", "A", o);
      REQUIRE(a.answered);
      CHECK(a.rcode == "SERVFAIL");
      CHECK(a.answer.empty());
      // A fast failure ends the query after one pass: no spinning on the upstream.
      CHECK(up.udp_queries == 1);
    }
  }
}

TEST_CASE("forward: answers carry the client's EDNS size and DO bit", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
  // The upstream says 1232 and DO, with an option (NSID, empty) that stays.
  FakeUpstream up(t.loop(), scripted([](const Bytes& q) {
                    Bytes rr = opt_rr(1232, true);
                    rr[10] = 4;
                    rr.insert(rr.end(), {0, 3, 0, 0});
                    return with_record(make_answer(q, 0, 1), rr, 10);
                  }),
                  port);
  QueryOptions o;
  o.bufsize = 4000;
  auto a = t.query("a.example.org.", "A", o);
  REQUIRE(a.rcode == "NOERROR");
  REQUIRE(a.has_opt);
  dns::AnswerShape s;
  REQUIRE(dns::read_shape(a.wire, s));
  REQUIRE(s.has_opt);
  const uint8_t* opt = a.wire.data() + s.opt_begin;
  CHECK(dns::get16(opt + 3) == 4000);          // the client's size, not the upstream's
  CHECK((dns::get16(opt + 7) & 0x8000) == 0);  // the client did not set DO
  CHECK(opt[6] == 0);                          // version 0
  CHECK(dns::get16(opt + 9) == 4);             // the upstream's options stay

  o.do_bit = true;
  o.bufsize = 1400;
  auto b = t.query("b.example.org.", "A", o);
  REQUIRE(dns::read_shape(b.wire, s));
  CHECK(dns::get16(b.wire.data() + s.opt_begin + 3) == 1400);
  CHECK((dns::get16(b.wire.data() + s.opt_begin + 7) & 0x8000) != 0);

  // No OPT in the query: none in the answer.
  auto c = t.query("c.example.org.", "A");
  CHECK(!c.has_opt);
}

TEST_CASE("forward: a lost answer is asked again until the deadline", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n max_fails 0\n }"));
  int seen = 0;
  FakeUpstream up(
      t.loop(),
      [&seen](const Bytes& q, bool) {
        // The first query goes unanswered, the second is answered.
        return ++seen == 1 ? std::vector<Bytes>{} : std::vector<Bytes>{make_answer(q, 0, 1)};
      },
      port);
  QueryOptions o;
  // The second try goes out after the first one's 2s; past forward's 5s deadline, so that
  // this timeout cannot come together with that try's answer on a machine that keeps this
  // process waiting. Without the second try the query still ends in SERVFAIL at 5s.
  o.timeout = std::chrono::milliseconds(8000);
  auto a = t.query("a.example.org.", "A", o);
  REQUIRE(a.answered);
  CHECK(a.rcode == "NOERROR");
  CHECK(a.answer.size() == 1);
  CHECK(up.udp_queries == 2);
}

TEST_CASE("forward: failover RCODE tries the next upstream, the last answer stands", "[forward]") {
  uint16_t p1 = dead_port(), p2 = dead_port();
  auto servfail = [](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 2, 0)}; };
  SECTION("the next upstream answers") {
    ChainTest t(corefile("forward . " + addr(p1) + " " + addr(p2) +
                         " {\n policy sequential\n failover SERVFAIL REFUSED\n }"));
    FakeUpstream a(t.loop(), servfail, p1);
    FakeUpstream b(
        t.loop(), [](const Bytes& q, bool) { return std::vector<Bytes>{make_answer(q, 0, 1)}; },
        p2);
    auto r = t.query("a.example.org.", "A");
    CHECK(r.rcode == "NOERROR");
    CHECK(a.udp_queries == 1);
    CHECK(b.udp_queries == 1);
    // A failover answer is an answer: no health check follows.
    t.run_for(std::chrono::milliseconds(100));
    CHECK(a.probes == 0);
  }
  SECTION("all fail over: the last answer") {
    ChainTest t(corefile("forward . " + addr(p1) + " " + addr(p2) +
                         " {\n policy sequential\n failover SERVFAIL\n }"));
    FakeUpstream a(t.loop(), servfail, p1), b(t.loop(), servfail, p2);
    auto r = t.query("a.example.org.", "A");
    CHECK(r.rcode == "SERVFAIL");
    CHECK(a.udp_queries == 1);
    CHECK(b.udp_queries == 1);
  }
  SECTION("without failover the first answer stands") {
    ChainTest t(corefile("forward . " + addr(p1) + " " + addr(p2) + " {\n policy sequential\n }"));
    FakeUpstream a(t.loop(), servfail, p1), b(t.loop(), servfail, p2);
    CHECK(t.query("a.example.org.", "A").rcode == "SERVFAIL");
    CHECK(b.udp_queries == 0);
  }
  SECTION("setup") {
    CHECK(
        cxxdns::testing::setup_error(".:1053 {\n forward . 127.0.0.1 {\n failover NOERROR\n }\n}\n")
            .find("NoError cannot be used in failover") != std::string::npos);
    CHECK(cxxdns::testing::setup_error(".:1053 {\n forward . 127.0.0.1 {\n failover\n }\n}\n")
              .find("Wrong argument count") != std::string::npos);
  }
}

TEST_CASE("forward: health checks only after a failure, until the upstream answers", "[forward]") {
  uint16_t port = dead_port();
  ChainTest t(corefile("forward . " + addr(port) + " {\n health_check 50ms\n }"));
  bool silent = false;
  FakeUpstream up(
      t.loop(),
      [&silent](const Bytes& q, bool) {
        return silent ? std::vector<Bytes>{} : std::vector<Bytes>{make_answer(q, 0, 1)};
      },
      port);
  CHECK(t.query("a.example.org.", "A").rcode == "NOERROR");
  t.run_for(std::chrono::milliseconds(400));
  CHECK(up.probes == 0);  // healthy: never checked

  silent = true;
  QueryOptions o;
  o.timeout = std::chrono::milliseconds(6000);
  CHECK(t.query("b.example.org.", "A", o).rcode == "SERVFAIL");
  auto& u = *forward_of(t).blocks()[0]->opts.upstreams[0];
  // Probes went out after the failed try, every 50ms (each waits up to 1s for its answer):
  // two have failed about a second before the query's deadline. Waited for rather than
  // checked at once, for a machine that keeps this process waiting; checks that never
  // started still fail here.
  t.run_until([&] { return u.down(2) && u.healthcheck_failures.load() >= 2; },
              std::chrono::milliseconds(4000));
  CHECK(up.probes >= 2);
  CHECK(u.down(2));
  CHECK(u.healthcheck_failures.load() >= 2);

  silent = false;
  // Up at the first probe answered: the next one, or the one after a probe still waiting
  // for the answer it will not get (up to 1s). Checks that stop while the upstream is down
  // leave it down, and still fail here.
  t.run_until([&] { return !u.down(2); }, std::chrono::milliseconds(4000));
  CHECK(!u.down(2));
  const int after = up.probes;
  t.run_for(std::chrono::milliseconds(300));
  CHECK(up.probes == after);  // healthy again: the checks stopped
  CHECK(t.query("c.example.org.", "A").answer.size() == 1);
}
