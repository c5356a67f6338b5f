#include "core/plugin/network.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace cxxdns {

std::optional<Network> Network::parse(std::string_view text) {
  Network n;
  std::string host(text.substr(0, text.find('/')));
  if (inet_pton(AF_INET, host.c_str(), n.addr.data()) == 1) {
    n.len = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), n.addr.data()) == 1) {
    n.len = 16;
  } else {
    return std::nullopt;
  }
  n.prefix = static_cast<uint8_t>(n.len * 8);
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    unsigned p = 0;
    auto rest = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
    if (ec != std::errc() || end != rest.data() + rest.size() || p > n.len * 8u) {
      return std::nullopt;
    }
    n.prefix = static_cast<uint8_t>(p);
  }
  return n;
}

bool Network::contains(std::span<const uint8_t> a) const {
  if (a.size() != len) return false;
  size_t full = prefix / 8;
  for (size_t i = 0; i < full; ++i) {
    if (a[i] != addr[i]) return false;
  }
  if (int rest = prefix % 8) {
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((a[full] & mask) != (addr[full] & mask)) return false;
  }
  return true;
}

}  // namespace cxxdns
