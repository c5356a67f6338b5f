// IP addresses and prefixes in text and bytes, parsed once here for every plugin that takes
// them from a Corefile or a data file (acl and explain networks, fakeip ranges, bind,
// hosts entries).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/plugin/parsed.h"

namespace cxxdns::pkg {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t len = 0;  // 4 or 16

  // "10.1.2.3", "::1"; an IPv6 zone ("fe80::1%eth0") is not an address here.
  static Parsed<IpAddress> parse(std::string_view text);
  int family() const { return len == 4 ? 4 : 6; }
  std::span<const uint8_t> span() const { return {bytes.data(), len}; }
  std::string text() const;
  bool is_loopback() const;  // 127.0.0.0/8 or ::1
};

// An address and a port, as CoreDNS's plugin/pkg/parse.HostPort takes them: "10.0.0.1",
// "10.0.0.1:5353", "::1", "[::1]:5353" (a bare address gets `default_port`).
struct IpEndpoint {
  IpAddress addr;
  uint16_t port = 53;

  static Parsed<IpEndpoint> parse(std::string_view text, uint16_t default_port = 53);
  std::string text() const;  // "10.0.0.1:53", "[::1]:53"
  // As a socket address; returns its length.
  socklen_t to_sockaddr(sockaddr_storage& out) const;
};

// True when `text` is an IPv4 or IPv6 address.
bool is_ip(std::string_view text);

// A network: "10.0.0.0/8", "fd00::/8", or an address alone (a /32 or /128).
struct IpPrefix {
  IpAddress addr;  // host bits cleared
  uint8_t prefix = 32;

  // `require_length`: "ADDRESS/LENGTH" only (a range), not a lone address.
  static Parsed<IpPrefix> parse(std::string_view text, bool require_length = false);
  bool contains(std::span<const uint8_t> address) const;
  std::string text() const;
};

}  // namespace cxxdns::pkg
