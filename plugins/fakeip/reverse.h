// Reverse names to addresses: "4.3.2.1.in-addr.arpa." and the 32-nibble ip6.arpa form.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxxdns::plugins {

// `name`: lower-case FQDN. Returns 4 or 6 with the address in `addr`, or 0 when `name` is
// not the reverse name of one whole address.
int parse_reverse_name(std::string_view name, uint8_t addr[16]);

}  // namespace cxxdns::plugins
