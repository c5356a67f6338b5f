// Types, classes and rcodes by name as CoreDNS's setup code looks them up (miekg/dns's
// StringToType, StringToClass, StringToRcode): upper-case mnemonics, no TYPEnnn forms.
#pragma once

#include <cstdint>
#include <string_view>

namespace cxxdns::pkg {

// "A", "AAAA", "ANY"... (exactly as written: CoreDNS does not upper-case them for template).
bool type_from_name(std::string_view name, uint16_t& out);
// "IN", "CS", "CH", "HS", "NONE", "ANY".
bool class_from_name(std::string_view name, uint16_t& out);
// "NOERROR", "NXDOMAIN", "SERVFAIL", ..., "BADCOOKIE", and "NOTIMPL".
bool rcode_from_name(std::string_view name, uint16_t& out);
// The mnemonic Go's dns.TypeToString / ClassToString give ("" for a number without one).
std::string_view go_type_name(uint16_t type);
std::string_view go_class_name(uint16_t klass);

}  // namespace cxxdns::pkg
