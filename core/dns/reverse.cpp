#include "core/dns/reverse.h"

#include <cstdio>

#include <charconv>

namespace cxxdns::dns {

int parse_reverse_name(std::string_view name, uint8_t addr[16]) {
  constexpr std::string_view v4 = ".in-addr.arpa.", v6 = ".ip6.arpa.";
  if (name.ends_with(v4)) {
    std::string_view s = name.substr(0, name.size() - v4.size());
    for (int i = 3; i >= 0; --i) {
      size_t dot = s.find('.');
      std::string_view label = s.substr(0, dot);
      if ((dot == std::string_view::npos) != (i == 0) || label.empty() || label.size() > 3) {
        return 0;
      }
      unsigned v = 0;
      auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), v);
      if (ec != std::errc() || end != label.data() + label.size() || v > 255) return 0;
      if (label.size() > 1 && label[0] == '0') return 0;
      addr[i] = uint8_t(v);
      s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    }
    return 4;
  }
  if (name.ends_with(v6)) {
    std::string_view s = name.substr(0, name.size() - v6.size());
    if (s.size() != 63) return 0;  // 32 nibbles and 31 dots
    for (int i = 0; i < 32; ++i) {
      char c = s[size_t(i) * 2];
      if (i < 31 && s[size_t(i) * 2 + 1] != '.') return 0;
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) return 0;
      int nib = 31 - i;  // the first label is the lowest nibble
      if (nib % 2) {
        addr[nib / 2] = uint8_t((addr[nib / 2] & 0xf0) | v);
      } else {
        addr[nib / 2] = uint8_t((addr[nib / 2] & 0x0f) | (v << 4));
      }
    }
    return 6;
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
