#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "core/plugin/testing.h"
#include "plugins/loadbalance/shuffle.h"

// ldns last: its headers redefine bool for C.
#include <ldns/ldns.h>

using cxxdns::plugins::Rng;
using cxxdns::plugins::shuffle_answer;

namespace {

std::vector<uint8_t> build(const char* qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
                           std::vector<const char*> answer, std::vector<const char*> additional) {
  ldns_pkt* p = ldns_pkt_new();
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_rcode(p, rcode);
  ldns_rr* q = ldns_rr_new();
  ldns_rr_set_owner(q, ldns_dname_new_frm_str(qname));
  ldns_rr_set_type(q, qtype);
  ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
  ldns_rr_set_question(q, true);
  ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
  auto add = [&](ldns_pkt_section s, const char* text) {
    ldns_rr* rr = nullptr;
    REQUIRE(ldns_rr_new_frm_str(&rr, text, 0, nullptr, nullptr) == LDNS_STATUS_OK);
    ldns_pkt_push_rr(p, s, rr);
  };
  for (auto a : answer) add(LDNS_SECTION_ANSWER, a);
  for (auto a : additional) add(LDNS_SECTION_ADDITIONAL, a);
  uint8_t* wire = nullptr;
  size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + size);
  free(wire);
  ldns_pkt_free(p);
  return out;
}

}  // namespace

TEST_CASE("A records of one RRset are shuffled, nothing else moves", "[loadbalance]") {
  auto msg = build("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
                   {"www.example. 60 IN CNAME host.example.", "host.example. 30 IN A 10.0.0.1",
                    "host.example. 30 IN A 10.0.0.2", "host.example. 30 IN A 10.0.0.3",
                    "other.example. 30 IN A 10.9.9.9"},
                   {});
  auto before = cxxdns::testing::parse_answer(msg).answer;
  Rng rng{12345};
  std::set<std::vector<std::string>> orders;
  for (int i = 0; i < 30; ++i) {
    auto m = msg;
    REQUIRE(shuffle_answer(m, rng));
    REQUIRE(m.size() == msg.size());
    auto after = cxxdns::testing::parse_answer(m).answer;
    REQUIRE(after.size() == before.size());
    CHECK(after.front() == before.front());  // the CNAME stays first
    CHECK(after.back() == before.back());    // another owner's A is not mixed in
    auto a = after, b = before;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);
    orders.insert(after);
  }
  CHECK(orders.size() > 1);
}

TEST_CASE("MX records are shuffled and names still read", "[loadbalance]") {
  auto msg = build("example.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR,
                   {"example. 60 IN MX 10 mx1.example.", "example. 60 IN MX 20 mx2.example.",
                    "example. 60 IN MX 30 mx3.example."},
                   {"mx1.example. 60 IN A 10.0.0.1", "mx2.example. 60 IN A 10.0.0.2"});
  auto before = cxxdns::testing::parse_answer(msg);
  Rng rng{99};
  std::set<std::vector<std::string>> orders;
  for (int i = 0; i < 30; ++i) {
    auto m = msg;
    REQUIRE(shuffle_answer(m, rng));
    auto after = cxxdns::testing::parse_answer(m);
    auto a = after.answer, b = before.answer;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);
    CHECK(after.additional == before.additional);
    orders.insert(after.answer);
  }
  CHECK(orders.size() > 1);
}

TEST_CASE("error answers and bad messages are left alone", "[loadbalance]") {
  auto msg = build("x.example.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL,
                   {"x.example. 1 IN A 10.0.0.1", "x.example. 1 IN A 10.0.0.2"}, {});
  Rng rng{7};
  for (int i = 0; i < 10; ++i) {
    auto m = msg;
    shuffle_answer(m, rng);
    CHECK(m == msg);
  }
  auto ok = build("x.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
                  {"x.example. 1 IN A 10.0.0.1", "x.example. 1 IN A 10.0.0.2"}, {});
  for (size_t cut = 0; cut < ok.size(); ++cut) {
    std::vector<uint8_t> m(ok.begin(), ok.begin() + cut);
    shuffle_answer(m, rng);  // must not read past the end (run under ASan in CI)
    CHECK(m.size() == cut);
  }
}
