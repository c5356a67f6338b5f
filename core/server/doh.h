// DNS over HTTPS (RFC 8484) as CoreDNS serves it (core/dnsserver/server_https.go and
// plugin/pkg/doh): the query from a request (GET ?dns=BASE64URL, POST body), the status and
// text of a request that has none, and the headers of an answer. No I/O: the connection
// (HTTP/1.1 or HTTP/2, with or without TLS) is the caller's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cxxdns::doh {

inline constexpr std::string_view kPath = "/dns-query";
inline constexpr std::string_view kMimeType = "application/dns-message";

// The DNS query a request carries, or why it carries none: 404 for another path, 400 for a
// method other than GET and POST or a GET without one good `dns` parameter (CoreDNS's texts).
struct Decoded {
  int status = 200;
  std::string error;  // the body of an error answer
  std::vector<uint8_t> wire;
};
Decoded decode(std::string_view method, std::string_view target, std::span<const uint8_t> body);

// base64url without padding (RFC 4648 section 5, Go's RawURLEncoding); nullopt on a character
// outside the alphabet, on padding, or on a length no encoding has.
std::optional<std::vector<uint8_t>> base64url_decode(std::string_view in);
// The other way, for a DoH client's GET (forward's https:// upstreams).
std::string base64url_encode(std::span<const uint8_t> in);

// Cache-Control of an answer: CoreDNS's "max-age=%f" of the smallest TTL of the answer
// (dnsutil.MinimalTTL: 5 s for errors, delegations and empty answers, at most an hour).
std::string cache_control(std::span<const uint8_t> answer);

// A minimal HTTP/1.1 request (no chunked bodies: RFC 8484 clients send Content-Length).
struct Http1Request {
  std::string method;
  std::string target;
  bool keep_alive = true;
  std::vector<uint8_t> body;
};
enum class Http1Parse { done, more, bad };
// Reads one request from the front of `in`; on done, `used` is its length in bytes.
Http1Parse parse_http1(std::span<const uint8_t> in, Http1Request& req, size_t& used);

// The status line and headers of an HTTP/1.1 answer with a body of `length` bytes.
std::string http1_head(int status, std::string_view content_type, std::string_view cache_control,
                       size_t length, bool keep_alive);

}  // namespace cxxdns::doh
