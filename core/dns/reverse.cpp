#include "core/dns/reverse.h"

#include <cstdio>

#include <charconv>

namespace cxxdns::dns {

namespace {

// "4.3.2.1" (the labels before .in-addr.arpa.) into addr[0..3]; decimal octets without
// leading zeros.
bool parse_v4_labels(std::string_view s, uint8_t addr[16]) {
  for (int i = 3; i >= 0; --i) {
    const size_t dot = s.find('.');
    const std::string_view label = s.substr(0, dot);
    if ((dot == std::string_view::npos) != (i == 0) || label.empty() || label.size() > 3) {
      return false;
    }
    unsigned v = 0;
    auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), v);
    if (ec != std::errc() || end != label.data() + label.size() || v > 255) return false;
    if (label.size() > 1 && label[0] == '0') return false;
    addr[i] = uint8_t(v);
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// 32 nibble labels, lowest first (the labels before .ip6.arpa.), into addr[0..15].
bool parse_v6_labels(std::string_view s, uint8_t addr[16]) {
  if (s.size() != 63) return false;  // 32 nibbles and 31 dots
  for (int i = 0; i < 32; ++i) {
    if (i < 31 && s[size_t(i) * 2 + 1] != '.') return false;
    const int v = hex_value(s[size_t(i) * 2]);
    if (v < 0) return false;
    const int nib = 31 - i;  // the first label is the lowest nibble
    uint8_t& b = addr[nib / 2];
    b = nib % 2 ? uint8_t((b & 0xf0) | v) : uint8_t((b & 0x0f) | (v << 4));
  }
  return true;
}

}  // namespace

int parse_reverse_name(std::string_view name, uint8_t addr[16]) {
  constexpr std::string_view v4 = ".in-addr.arpa.", v6 = ".ip6.arpa.";
  if (name.ends_with(v4)) {
    return parse_v4_labels(name.substr(0, name.size() - v4.size()), addr) ? 4 : 0;
  }
  if (name.ends_with(v6)) {
    return parse_v6_labels(name.substr(0, name.size() - v6.size()), addr) ? 6 : 0;
  }
  return 0;
}

std::string reverse_name(const uint8_t* addr, size_t len) {
  std::string out;
  char buf[8];
  if (len == 4) {
    for (int i = 3; i >= 0; --i) {
      std::snprintf(buf, sizeof buf, "%u.", addr[i]);
      out += buf;
    }
    return out + "in-addr.arpa.";
  }
  static const char* hex = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += hex[addr[i] & 0xf];
    out += '.';
    out += hex[addr[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa.";
}

}  // namespace cxxdns::dns
