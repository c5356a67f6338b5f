// DNS over HTTPS requests and answers as CoreDNS reads and writes them.
#include <catch2/catch.hpp>

#include <string>

#include "core/server/doh.h"

using namespace cxxdns;

namespace {

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// "example.org. A" with ID 0 and RD, and its base64url form (RFC 8484 section 4.1.1).
const std::string kQueryB64 = "AAABAAABAAAAAAAAB2V4YW1wbGUDb3JnAAABAAE";

}  // namespace

TEST_CASE("doh: base64url without padding, strictly", "[doh]") {
  auto q = doh::base64url_decode(kQueryB64);
  REQUIRE(q);
  CHECK(q->size() == 29);
  CHECK((*q)[2] == 0x01);  // RD
  CHECK(doh::base64url_decode("") == std::vector<uint8_t>{});
  CHECK(doh::base64url_decode("-_8") == std::vector<uint8_t>{0xfb, 0xff});
  CHECK_FALSE(doh::base64url_decode(kQueryB64 + "="));  // padding: not RawURLEncoding
  CHECK_FALSE(doh::base64url_decode("ab+c"));           // the standard alphabet's '+'
  CHECK_FALSE(doh::base64url_decode("abcde"));          // no encoding is that long
  CHECK_FALSE(doh::base64url_decode("-_9"));            // bits left over not zero
}

TEST_CASE("doh: base64url encoding, without padding, decodes back", "[doh]") {
  CHECK(doh::base64url_encode(std::vector<uint8_t>{}) == "");
  CHECK(doh::base64url_encode(std::vector<uint8_t>{0xfb, 0xff}) == "-_8");
  CHECK(doh::base64url_encode(std::vector<uint8_t>{0xfb}) == "-w");
  CHECK(doh::base64url_encode(std::vector<uint8_t>{1, 2, 3}) == "AQID");
  auto q = doh::base64url_decode(kQueryB64);
  REQUIRE(q);
  CHECK(doh::base64url_encode(*q) == kQueryB64);
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 37 + n);
    CHECK(doh::base64url_decode(doh::base64url_encode(v)) == v);
  }
}

TEST_CASE("doh: a GET carries its query in the dns parameter", "[doh]") {
  auto d = doh::decode("GET", "/dns-query?dns=" + kQueryB64, {});
  CHECK(d.status == 200);
  CHECK(d.wire.size() == 29);
  // Other parameters are ignored; escapes are decoded.
  d = doh::decode(
      "GET", "/dns-query?ct=x&dns=" + kQueryB64.substr(0, 4) + "%41" + kQueryB64.substr(5), {});
  CHECK(d.status == 200);
}

TEST_CASE("doh: requests without a query get CoreDNS's status and text", "[doh]") {
  CHECK(doh::decode("GET", "/other?dns=" + kQueryB64, {}).status == 404);
  auto d = doh::decode("GET", "/dns-query", {});
  CHECK(d.status == 400);
  CHECK(d.error == "no 'dns' query parameter found");
  d = doh::decode("GET", "/dns-query?dns=" + kQueryB64 + "&dns=" + kQueryB64, {});
  CHECK(d.error == "multiple 'dns' query values found");
  CHECK(doh::decode("GET", "/dns-query?dns=not*base64", {}).status == 400);
  d = doh::decode("PUT", "/dns-query", {});
  CHECK(d.status == 400);
  CHECK(d.error == "method not allowed: PUT");
  auto body = bytes("abc");
  d = doh::decode("POST", "/dns-query", body);
  CHECK(d.status == 200);
  CHECK(d.wire == body);
}

TEST_CASE("doh: HTTP/1.1 requests are framed by Content-Length", "[doh]") {
  doh::Http1Request r;
  size_t used = 0;
  auto in = bytes("GET /dns-query?dns=AA HTTP/1.1\r\nHost: x\r\n\r\nPOST /");
  REQUIRE(doh::parse_http1(in, r, used) == doh::Http1Parse::done);
  CHECK(r.method == "GET");
  CHECK(r.target == "/dns-query?dns=AA");
  CHECK(r.keep_alive);
  CHECK(used == in.size() - 6);
  in = bytes("POST /dns-query HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nab");
  CHECK(doh::parse_http1(in, r, used) == doh::Http1Parse::more);
  in.push_back('c');
  REQUIRE(doh::parse_http1(in, r, used) == doh::Http1Parse::done);
  CHECK(r.body == bytes("abc"));
  CHECK_FALSE(r.keep_alive);
  CHECK(doh::parse_http1(bytes("GET / HTTP/1.0\r\n\r\n"), r, used) == doh::Http1Parse::done);
  CHECK_FALSE(r.keep_alive);
  CHECK(doh::parse_http1(bytes("GARBAGE\r\n\r\n"), r, used) == doh::Http1Parse::bad);
  CHECK(doh::parse_http1(bytes("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), r, used) ==
        doh::Http1Parse::bad);
  CHECK(doh::parse_http1(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), r, used) ==
        doh::Http1Parse::bad);
  CHECK(doh::parse_http1(bytes("GET / HTTP/1.1\r\nHost: x"), r, used) == doh::Http1Parse::more);
  CHECK(doh::parse_http1(std::vector<uint8_t>(20000, 'a'), r, used) == doh::Http1Parse::bad);
}

namespace {

// An answer for example.org. with `an` A records then `ns` authority records of `ns_type`,
// each with its TTL from `ttls`, in order.
std::vector<uint8_t> answer(uint8_t rcode, int an, int ns, uint16_t ns_type,
                            std::vector<uint32_t> ttls) {
  const uint8_t name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0};
  std::vector<uint8_t> m;
  // Room first: g++ 12 -O3 misreads the inserts into a 12-byte vector (-Warray-bounds).
  m.reserve(512);
  m.insert(m.end(), {0x12, 0x34, 0x81, rcode, 0, 1, 0, uint8_t(an), 0, uint8_t(ns), 0, 0});
  m.insert(m.end(), name, name + sizeof name);
  m.insert(m.end(), {0, 1, 0, 1});
  for (int i = 0; i < an + ns; ++i) {
    const uint16_t type = i < an ? 1 : ns_type;
    const uint32_t ttl = ttls[static_cast<size_t>(i)];
    m.insert(m.end(), {0xc0, 12, uint8_t(type >> 8), uint8_t(type), 0, 1, uint8_t(ttl >> 24),
                       uint8_t(ttl >> 16), uint8_t(ttl >> 8), uint8_t(ttl)});
    if (type == 1) {
      m.insert(m.end(), {0, 4, 192, 0, 2, 1});
    } else if (type == 2) {
      m.insert(m.end(), {0, 2, 0xc0, 12});
    } else {  // SOA: two compressed names and five numbers
      m.insert(m.end(), {0, 24, 0xc0, 12, 0xc0, 12});
      for (int k = 0; k < 5; ++k) m.insert(m.end(), {0, 0, 0, 60});
    }
  }
  return m;
}

}  // namespace

TEST_CASE("doh: Cache-Control is the smallest TTL, as CoreDNS writes it", "[doh]") {
  CHECK(doh::cache_control(answer(0, 2, 0, 0, {300, 120})) == "max-age=120.000000");
  // NXDOMAIN and NODATA: the SOA's TTL.
  CHECK(doh::cache_control(answer(3, 0, 1, 6, {900})) == "max-age=900.000000");
  CHECK(doh::cache_control(answer(0, 0, 1, 6, {30})) == "max-age=30.000000");
  // At most an hour.
  CHECK(doh::cache_control(answer(0, 1, 0, 0, {86400})) == "max-age=3600.000000");
  // Errors, delegations and empty answers: 5 s.
  CHECK(doh::cache_control(answer(2, 0, 0, 0, {})) == "max-age=5.000000");
  CHECK(doh::cache_control(answer(0, 0, 1, 2, {600})) == "max-age=5.000000");
  CHECK(doh::cache_control(answer(0, 0, 0, 0, {})) == "max-age=5.000000");
}

TEST_CASE("doh: an HTTP/1.1 answer's head", "[doh]") {
  std::string h = doh::http1_head(200, doh::kMimeType, "max-age=5.000000", 29, true);
  CHECK(h.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(h.find("Content-Type: application/dns-message\r\n") != std::string::npos);
  CHECK(h.find("Cache-Control: max-age=5.000000\r\n") != std::string::npos);
  CHECK(h.find("Content-Length: 29\r\n") != std::string::npos);
  CHECK(h.find("Connection: close") == std::string::npos);
  CHECK(h.substr(h.size() - 4) == "\r\n\r\n");
  h = doh::http1_head(400, "text/plain; charset=utf-8", "", 5, false);
  CHECK(h.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(h.find("Cache-Control") == std::string::npos);
  CHECK(h.find("Connection: close\r\n") != std::string::npos);
}
