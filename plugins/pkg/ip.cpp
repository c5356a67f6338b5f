#include "plugins/pkg/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace cxxdns::pkg {

Parsed<IpAddress> IpAddress::parse(std::string_view text) {
  IpAddress a;
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.len = 4;
  } else if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.len = 16;
  } else {
    return Parsed<IpAddress>::failure("bad address '" + s + "'");
  }
  return a;
}

bool is_ip(std::string_view text) {
  return static_cast<bool>(IpAddress::parse(text));
}

std::string IpAddress::text() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(len == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf)) return {};
  return buf;
}

Parsed<IpEndpoint> IpEndpoint::parse(std::string_view text, uint16_t default_port) {
  const auto bad = [&] {
    return Parsed<IpEndpoint>::failure("bad address '" + std::string(text) + "'");
  };
  IpEndpoint e;
  e.port = default_port;
  std::string_view host = text;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {  // [v6] or [v6]:port
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad();
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad();
    has_port = !rest.empty();
    if (has_port) port = rest.substr(1);
  } else if (const size_t colon = text.find(':');
             colon != std::string_view::npos && colon == text.rfind(':')) {
    host = text.substr(0, colon);  // v4:port (a v6 address has several colons)
    port = text.substr(colon + 1);
    has_port = true;
  }
  auto addr = IpAddress::parse(host);
  if (!addr) return Parsed<IpEndpoint>::failure(addr.error());
  e.addr = *addr;
  if (has_port) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n == 0 ||
        n > 65535) {
      return Parsed<IpEndpoint>::failure("bad port in '" + std::string(text) + "'");
    }
    e.port = static_cast<uint16_t>(n);
  }
  return e;
}

std::string IpEndpoint::text() const {
  return addr.len == 16 ? "[" + addr.text() + "]:" + std::to_string(port)
                        : addr.text() + ":" + std::to_string(port);
}

socklen_t IpEndpoint::to_sockaddr(sockaddr_storage& out) const {
  out = {};
  if (addr.len == 4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&out);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, addr.bytes.data(), 4);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&out);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  std::memcpy(&a->sin6_addr, addr.bytes.data(), 16);
  return sizeof *a;
}

Parsed<IpPrefix> IpPrefix::parse(std::string_view text, bool require_length) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos && require_length) {
    return Parsed<IpPrefix>::failure("not a CIDR (ADDRESS/PREFIX)");
  }
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return Parsed<IpPrefix>::failure("not a CIDR: " + addr.error());
  IpPrefix p;
  p.addr = *addr;
  p.prefix = static_cast<uint8_t>(p.addr.len * 8);
  if (slash != std::string_view::npos) {
    unsigned n = 0;
    const std::string_view rest = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (rest.empty() || ec != std::errc() || end != rest.data() + rest.size() ||
        n > p.addr.len * 8u) {
      return Parsed<IpPrefix>::failure("not a CIDR: bad prefix length '" + std::string(rest) + "'");
    }
    p.prefix = static_cast<uint8_t>(n);
  }
  for (int bit = p.prefix; bit < p.addr.len * 8; ++bit) {
    p.addr.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return p;
}

bool IpPrefix::contains(std::span<const uint8_t> a) const {
  if (a.size() != addr.len) return false;
  const size_t full = prefix / 8;
  for (size_t i = 0; i < full; ++i) {
    if (a[i] != addr.bytes[i]) return false;
  }
  if (const int rest = prefix % 8) {
    const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((a[full] & mask) != (addr.bytes[full] & mask)) return false;
  }
  return true;
}

std::string IpPrefix::text() const {
  return addr.text() + "/" + std::to_string(prefix);
}

bool IpAddress::is_loopback() const {
  static const std::array<uint8_t, 16> v6_loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                      0, 0, 0, 0, 0, 0, 0, 1};
  if (len == 4) return bytes[0] == 127;
  return len == 16 && bytes == v6_loopback;
}

}  // namespace cxxdns::pkg
