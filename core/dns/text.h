// Mnemonics for types, classes and rcodes as CoreDNS prints them ("A", "IN", "NXDOMAIN"),
// without allocating: the names come from ldns's static tables or a caller's buffer.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxxdns::dns {

// `buf` (16 bytes at least) holds "TYPE65280"-style text for types without a name.
std::string_view type_name(uint16_t type, char* buf);
std::string_view class_name(uint16_t klass, char* buf);
std::string_view rcode_name(uint16_t rcode, char* buf);
// The type number for a mnemonic ("AAAA", "TYPE65280"); 0 when unknown.
uint16_t type_from_name(std::string_view name);

}  // namespace cxxdns::dns
