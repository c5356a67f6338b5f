// Inputs the fuzz targets (test/fuzz) found to crash cxxdns or break an answer, kept inline
// with the fix they led to.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/response.h"

TEST_CASE("finalize_response: bytes after the last record do not end up before the OPT",
          "[fuzz_regressions]") {
  using namespace cxxdns::dns;
  // fuzz_wire: a query with EDNS (xost.example AAAA, DO, 1232)...
  const std::vector<uint8_t> query = {
      0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x78,
      0x6f, 0x73, 0x74, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x00, 0x00, 0x1c,
      0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
  // ... and an answer without OPT whose one record is followed by 17 stray bytes. The OPT
  // was appended after them, so the answer no longer parsed.
  const std::vector<uint8_t> answer = {0x12, 0x31, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                       0x00, 0x00, 0x02, 0x77, 0x6d, 0x00, 0x12, 0x34, 0x01, 0x00,
                                       0x00, 0x01, 0x00, 0x65, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00,
                                       0x01, 0xfa, 0x00, 0xc0, 0x0c, 0xff, 0xfa, 0x00, 0x01, 0x00,
                                       0x00, 0x00, 0x3c, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04};
  QueryView q;
  REQUIRE(parse_query(query, q) == QueryCheck::ok);
  for (bool udp : {true, false}) {
    std::vector<uint8_t> msg = answer;
    finalize_response(msg, q, udp);
    int records = 0;
    bool opt = false;
    REQUIRE(walk_records(msg, [&](const RecordRef& r) {
      ++records;
      opt = opt || r.type == type::OPT;
      return true;
    }));
    CHECK(records == 2);
    CHECK(opt);
    CHECK(get16(msg.data()) == 0x1234);
    CHECK(msg.size() == answer.size() - 17 + 11);  // stray bytes gone, OPT added
  }
}

TEST_CASE("finalize_response: an OPT outside the additional section is not the OPT",
          "[fuzz_regressions]") {
  using namespace cxxdns::dns;
  // fuzz_wire: the query (a.example A) had no EDNS; the answer carried a type-41 record in
  // its answer section and none in additional. Removing "the OPT" took it from the answer
  // but decremented ARCOUNT from 0 to 65535.
  const std::vector<uint8_t> query = {0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x01, 0x61, 0x07, 0x65, 0x78, 0x61,
                                      0x6d, 0x70, 0x6c, 0x65, 0x00, 0x00, 0x01, 0x00, 0x01};
  std::vector<uint8_t> answer = query;
  answer[2] = 0x81, answer[3] = 0x80;  // QR RD RA
  answer[7] = 1;                       // ANCOUNT 1: a root-owned OPT
  for (uint8_t b : {0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
    answer.push_back(b);
  QueryView q;
  REQUIRE(parse_query(query, q) == QueryCheck::ok);
  std::vector<uint8_t> msg = answer;
  finalize_response(msg, q, true);
  Header h = Header::read(msg.data());
  CHECK(h.arcount == 0);
  CHECK(h.ancount == 1);
  CHECK(walk_records(msg, [](const RecordRef&) { return true; }));
}

TEST_CASE("names: a compression pointer into the header is malformed", "[fuzz_regressions]") {
  using namespace cxxdns::dns;
  // fuzz_wire: an answer whose record owner pointed at offset 11 (ARCOUNT's low byte, 0 =
  // the root name). Appending the OPT made that byte 1, and the answer stopped parsing.
  const std::vector<uint8_t> answer = {0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                       0x00, 0x00, 0x03, 0x77, 0x77, 0x65, 0x03, 0x6f, 0x72, 0x67,
                                       0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0b, 0xf6, 0x29, 0x00,
                                       0x29, 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00};
  CHECK_FALSE(walk_records(answer, [](const RecordRef&) { return true; }));
  // The same record with the owner pointing at the question name still walks.
  std::vector<uint8_t> good = answer;
  good[26] = 0x0c;
  CHECK(walk_records(good, [](const RecordRef&) { return true; }));

  const std::vector<uint8_t> query = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x01, 0x03, 0x77, 0x77, 0x65, 0x03, 0x6f,
                                      0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                      0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
  QueryView q;
  REQUIRE(parse_query(query, q) == QueryCheck::ok);
  std::vector<uint8_t> msg = answer;
  finalize_response(msg, q, true);
  CHECK(walk_records(msg, [](const RecordRef&) { return true; }));
  CHECK(response_rcode(msg) == rcode::SERVFAIL);
}

TEST_CASE("names: a pointed-to name must end before the pointer", "[fuzz_regressions]") {
  using namespace cxxdns::dns;
  // fuzz_wire: an owner pointing back into the question's type field, from where the
  // labels ran on past the pointer into the record's own data. Finalizing changed those
  // bytes (the OPT went on) and the answer stopped parsing.
  std::vector<uint8_t> answer = {0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                 0x00, 0x00, 0x03, 0x77, 0x77, 0x65, 0x03, 0x6f, 0x72, 0x67,
                                 0x00, 0x00, 0x01, 0x00, 0x01,  // question wwe.org A IN
                                 0xc0, 0x16,                    // owner: pointer to 22
                                 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x0d};
  for (int i = 0; i < 12; ++i) answer.push_back(0x41);
  answer.push_back(0x00);  // ends the 22-byte "label" that started at offset 26
  // Read from 22 on: \x01\x00 \x01\xc0 \x16 + 22 bytes + \x00, a "name" through the pointer.
  CHECK_FALSE(walk_records(answer, [](const RecordRef&) { return true; }));

  const std::vector<uint8_t> query = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x01, 0x03, 0x77, 0x77, 0x65, 0x03, 0x6f,
                                      0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                      0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
  QueryView q;
  REQUIRE(parse_query(query, q) == QueryCheck::ok);
  std::vector<uint8_t> msg = answer;
  finalize_response(msg, q, true);
  CHECK(walk_records(msg, [](const RecordRef&) { return true; }));
  CHECK(response_rcode(msg) == rcode::SERVFAIL);
}
