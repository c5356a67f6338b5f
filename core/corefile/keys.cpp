// Server block keys, normalized as CoreDNS's dnsserver does (parse.Transport, then
// plugin.SplitHostPort, then cidr.Split + cidr.Reverse for reverse zones), but stricter where
// CoreDNS lets a typo through as an odd zone name (`example.org:abc`, `foo://x`, `a.org,b.org`).
#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/corefile/corefile.h"

namespace cxxdns::corefile {
namespace {

// The schemes of CoreDNS's parse.Transport that name a listener for a zone (unix:// names a
// socket path, not a zone).
constexpr std::array<std::string_view, 6> kTransports = {"dns",  "tls",   "quic",
                                                         "grpc", "https", "https3"};

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A prefix length that is not a multiple of the label width (8 bits per in-addr.arpa label,
// 4 per ip6.arpa nibble) has no zone of its own: it expands to every zone at the next label
// boundary that it covers, e.g. 10.0.0.0/15 -> 0.10.in-addr.arpa. and 1.10.in-addr.arpa.
std::vector<std::string> reverse_zones(const unsigned char* addr, int bits, int prefix) {
  const int unit = bits == 32 ? 8 : 4;
  const int aligned = (prefix + unit - 1) / unit * unit;
  const int extra = aligned - prefix;  // at most 7 (IPv4) or 3 (IPv6): <= 128 zones

  unsigned char net[16] = {};
  std::memcpy(net, addr, static_cast<size_t>(bits / 8));
  for (int b = prefix; b < bits; ++b) net[b / 8] &= static_cast<unsigned char>(~(0x80 >> (b % 8)));

  std::vector<std::string> zones;
  for (int sub = 0; sub < (1 << extra); ++sub) {
    for (int k = 0; k < extra; ++k) {
      int pos = prefix + k;
      if ((sub >> (extra - 1 - k)) & 1)
        net[pos / 8] |= static_cast<unsigned char>(0x80 >> (pos % 8));
      else
        net[pos / 8] &= static_cast<unsigned char>(~(0x80 >> (pos % 8)));
    }
    std::string zone;
    for (int label = aligned / unit - 1; label >= 0; --label) {
      if (unit == 8) {
        zone += std::to_string(net[label]);
      } else {
        int nibble = (net[label / 2] >> (label % 2 ? 0 : 4)) & 0xF;
        zone += "0123456789abcdef"[nibble];
      }
      zone += '.';
    }
    zone += unit == 8 ? "in-addr.arpa." : "ip6.arpa.";
    zones.push_back(std::move(zone));
  }
  return zones;
}

}  // namespace

namespace {

[[noreturn]] void fail(const Token& key, const std::string& msg) {
  throw ParseError(key.file, key.line, msg);
}

// `dns://`, `tls://`...: the transport, taken off the front of `s`.
void take_scheme(const Token& key, std::string& s, ServerKey& base) {
  const size_t sep = s.find("://");
  if (sep == std::string::npos) return;
  std::string scheme = lower(s.substr(0, sep));
  bool known = false;
  for (std::string_view t : kTransports) known = known || t == scheme;
  if (!known) fail(key, "unknown scheme \"" + scheme + "\" in \"" + key.text + "\"");
  base.transport = scheme;
  s.erase(0, sep + 3);
}

// As in SplitHostPort, the port is what follows the last colon; only an IPv6 CIDR may
// contain a colon that is not a port separator. Taken off the end of `s`.
void take_port(const Token& key, std::string& s, ServerKey& base) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) return;
  std::string port = s.substr(colon + 1);
  if (port.empty()) fail(key, "expecting data after last colon: \"" + s + "\"");
  if (all_digits(port)) {
    if (port.size() > 5 || std::stoul(port) > 65535)
      fail(key, "invalid port \"" + port + "\" in \"" + key.text + "\"");
    base.port = static_cast<uint16_t>(std::stoul(port));
    s.erase(colon);
  } else if (s.find(':') == colon) {
    fail(key, "invalid port \"" + port + "\" in \"" + key.text + "\"");
  }
}

// A CIDR key (10.0.0.0/8) as its reverse zones; false when `s` is not one (a slash can be
// part of a name, as in RFC 2317 zones like 0/26.2.0.192.in-addr.arpa).
bool cidr_keys(const Token& key, const std::string& s, const ServerKey& base,
               std::vector<ServerKey>& out) {
  const size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string ip = s.substr(0, slash);
  std::string prefix = s.substr(slash + 1);
  unsigned char addr[16];
  int bits = 0;
  if (inet_pton(AF_INET, ip.c_str(), addr) == 1)
    bits = 32;
  else if (inet_pton(AF_INET6, ip.c_str(), addr) == 1)
    bits = 128;
  if (bits == 0) return false;
  if (!all_digits(prefix) || prefix.size() > 3 || std::stoi(prefix) > bits) {
    fail(key, "invalid CIDR " + s);
  }
  for (std::string& zone : reverse_zones(addr, bits, std::stoi(prefix))) {
    ServerKey k = base;
    k.zone = std::move(zone);
    out.push_back(std::move(k));
  }
  return true;
}

// Characters that cannot come from a sensible zone, only from a mangled key (a missing
// space before `{`, a comma without a space, brackets around an address), and labels that
// are empty or longer than 63.
void check_zone_name(const Token& key, const std::string& s) {
  for (unsigned char c : s) {
    if (c <= ' ' || c == 0x7f || std::strchr(":[]{}\",", c) != nullptr) {
      fail(key, "zone is not a valid domain name: " + s);
    }
  }
  if (s == ".") return;
  std::string_view name = s;
  if (name.back() == '.') name.remove_suffix(1);
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    const size_t len = (dot == std::string_view::npos ? name.size() : dot) - start;
    if (len == 0 || len > 63) fail(key, "zone is not a valid domain name: " + s);
    if (dot == std::string_view::npos) return;
    start = dot + 1;
  }
}

}  // namespace

std::vector<ServerKey> normalize_key(const Token& key) {
  const std::string& text = key.text;
  if (text.empty()) fail(key, "empty server block key");

  ServerKey base;
  base.token = key;
  std::string s = text;
  take_scheme(key, s, base);
  const std::string host_port = s;
  take_port(key, s, base);

  // A bare IPv6 address (`::1`, `[::1]:53`) is not a zone; say so about the whole key rather
  // than about what is left after taking its last group for a port.
  if (s.find(':') != std::string::npos && s.find('/') == std::string::npos)
    fail(key, "zone is not a valid domain name: " + host_port);

  if (s.empty()) {
    // `:53` and `dns://:53` have no zone; the root is the only reading that makes sense.
    if (!base.port) fail(key, "missing zone in \"" + text + "\"");
    base.zone = ".";
    return {base};
  }
  if (s.size() > 255) {
    fail(key, "specified zone is too long: " + std::to_string(s.size()) + " > 255");
  }
  if (std::vector<ServerKey> keys; cidr_keys(key, s, base, keys)) return keys;
  check_zone_name(key, s);
  base.zone = lower(s);
  if (base.zone.back() != '.') base.zone += '.';
  return {base};
}

}  // namespace cxxdns::corefile
