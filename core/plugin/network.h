// Address networks ("127.0.0.0/8", "::1", "fd00::/8") and matching client addresses against
// them: for plugins that act by source (explain, acl).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace cxxdns {

struct Network {
  std::array<uint8_t, 16> addr{};
  uint8_t len = 4;  // 4 or 16 bytes
  uint8_t prefix = 32;

  // "10.0.0.0/8", "10.1.2.3" (a /32), "::1", "fd00::/8"; nullopt when malformed.
  static std::optional<Network> parse(std::string_view text);
  bool contains(std::span<const uint8_t> address) const;
};

}  // namespace cxxdns
