// Reverse names and addresses: "4.3.2.1.in-addr.arpa." and the 32-nibble ip6.arpa form.
// Shared by every plugin that answers PTR (hosts, kubernetes, fakeip).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cxxdns::dns {

// `name`: lower-case FQDN. Returns 4 or 6 with the address in `addr`, or 0 when `name` is
// not the reverse name of one whole address.
int parse_reverse_name(std::string_view name, uint8_t addr[16]);

// The reverse name of an address of `len` 4 or 16 bytes: "1.0.0.10.in-addr.arpa.".
std::string reverse_name(const uint8_t* addr, size_t len);

}  // namespace cxxdns::dns
