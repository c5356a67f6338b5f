#include "core/server/doh.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "core/dns/shape.h"
#include "core/http/request.h"

namespace cxxdns::doh {

namespace {

// A DNS message is at most 64 KiB; a request head larger than this is refused.
constexpr size_t kMaxBody = 65535;
constexpr size_t kMaxHead = 16 * 1024;
// dnsutil.MinimalDefaultTTL and MaximumDefaulTTL.
constexpr uint32_t kShortTtl = 5;
constexpr uint32_t kLongestTtl = 3600;

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A query string value with %XX and '+' decoded, as Go's url.ParseQuery; nullopt on a bad
// escape.
std::optional<std::string> unescape(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '+') {
      out += ' ';
    } else if (v[i] != '%') {
      out += v[i];
    } else if (i + 2 < v.size() && hex_value(v[i + 1]) >= 0 && hex_value(v[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Decoded fail(int status, std::string text) {
  Decoded d;
  d.status = status;
  d.error = std::move(text);
  return d;
}

Decoded from_query(std::string_view query) {
  std::vector<std::string> values;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto k = unescape(key);
    if (!k || *k != "dns") continue;
    auto v = unescape(value);
    if (!v) return fail(400, "invalid URL escape");
    values.push_back(std::move(*v));
  }
  if (values.empty()) return fail(400, "no 'dns' query parameter found");
  if (values.size() != 1) return fail(400, "multiple 'dns' query values found");
  auto wire = base64url_decode(values[0]);
  if (!wire) return fail(400, "illegal base64 data in the 'dns' query parameter");
  Decoded d;
  d.wire = std::move(*wire);
  return d;
}

}  // namespace

std::optional<std::vector<uint8_t>> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  // The bits left over must be zero, as Go's strict decoding of the last group wants.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64url_encode(std::span<const uint8_t> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : in) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);  // no padding
  return out;
}

Decoded decode(std::string_view method, std::string_view target, std::span<const uint8_t> body) {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (path != kPath) return fail(404, "");
  if (method == "GET") return from_query(query);
  if (method != "POST") return fail(400, "method not allowed: " + std::string(method));
  if (body.size() > kMaxBody) return fail(400, "http: request body too large");
  Decoded d;
  d.wire.assign(body.begin(), body.end());
  return d;
}

std::string cache_control(std::span<const uint8_t> answer) {
  dns::AnswerShape s;
  uint32_t ttl = kShortTtl;
  if (dns::read_shape(answer, s)) {
    // response.Typify: NOERROR with answers or an SOA, NXDOMAIN; not a delegation (NS
    // only), not another error.
    const bool delegation = s.hdr.ancount == 0 && !s.soa_in_authority && s.ns_in_authority;
    const bool typed = (s.rcode == 0 && !delegation) || s.rcode == 3;
    if (typed && s.hdr.ancount + s.hdr.nscount > 0) ttl = std::min(s.min_ttl, kLongestTtl);
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "max-age=%u.000000", ttl);
  return buf;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool contains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The request line: METHOD SP TARGET SP HTTP/1.x; false when it is not one.
bool request_line(std::string_view line, Http1Request& req, bool& http10) {
  size_t a = line.find(' ');
  size_t b = line.rfind(' ');
  if (a == std::string_view::npos || b == a) return false;
  std::string_view version = line.substr(b + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  http10 = version == "HTTP/1.0";
  req.method = std::string(line.substr(0, a));
  req.target = std::string(line.substr(a + 1, b - a - 1));
  return !req.method.empty() && !req.target.empty() && req.target.find(' ') == std::string::npos;
}

}  // namespace

namespace {

// A Content-Length value: digits only, at most 9 of them.
bool parse_length(std::string_view v, size_t& out) {
  if (v.empty() || v.size() > 9) return false;
  out = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

// The header lines after the request line; false on one that is not a header, on a second
// or bad Content-Length, and on Transfer-Encoding (chunked bodies are not taken).
bool read_headers(std::string_view head, Http1Request& req, size_t& length) {
  bool has_length = false;
  while (!head.empty()) {
    size_t eol = head.find("\r\n");
    std::string_view h = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view name = h.substr(0, colon);
    std::string_view value = trim(h.substr(colon + 1));
    if (iequals(name, "content-length")) {
      if (has_length || !parse_length(value, length)) return false;
      has_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      return false;
    } else if (iequals(name, "connection")) {
      if (contains_token(value, "close")) req.keep_alive = false;
      if (contains_token(value, "keep-alive")) req.keep_alive = true;
    }
  }
  return true;
}

}  // namespace

Http1Parse parse_http1(std::span<const uint8_t> in, Http1Request& req, size_t& used) {
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  size_t head_end = text.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return text.size() > kMaxHead ? Http1Parse::bad : Http1Parse::more;
  }
  std::string_view head = text.substr(0, head_end);
  size_t eol = head.find("\r\n");
  bool http10 = false;
  if (!request_line(head.substr(0, eol), req, http10)) return Http1Parse::bad;
  req.keep_alive = !http10;
  size_t length = 0;
  const std::string_view headers =
      eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  if (!read_headers(headers, req, length) || length > kMaxBody) return Http1Parse::bad;
  const size_t total = head_end + 4 + length;
  if (in.size() < total) return Http1Parse::more;
  req.body.assign(in.begin() + static_cast<ptrdiff_t>(head_end + 4),
                  in.begin() + static_cast<ptrdiff_t>(total));
  used = total;
  return Http1Parse::done;
}

std::string http1_head(int status, std::string_view content_type, std::string_view cache_control,
                       size_t length, bool keep_alive) {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " +
                  std::string(http::status_text(status)) +
                  "\r\nContent-Type: " + std::string(content_type) + "\r\n";
  if (!cache_control.empty()) h += "Cache-Control: " + std::string(cache_control) + "\r\n";
  if (status != 200) h += "X-Content-Type-Options: nosniff\r\n";
  h += "Content-Length: " + std::to_string(length) + "\r\nDate: " + date + "\r\n";
  if (!keep_alive) h += "Connection: close\r\n";
  h += "\r\n";
  return h;
}

}  // namespace cxxdns::doh
