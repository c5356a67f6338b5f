#include "core/dns/text.h"

#include <ldns/ldns.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

namespace cxxdns::dns {

std::string_view type_name(uint16_t type, char* buf) {
  const ldns_rr_descriptor* d = ldns_rr_descript(type);
  if (d && d->_name && d->_type == type) return d->_name;
  switch (type) {  // the query-only types ldns has no descriptor for (RFC 1035 3.2.3)
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 253:
      return "MAILB";
    case 254:
      return "MAILA";
    case 255:
      return "ANY";
  }
  int n = std::snprintf(buf, 16, "TYPE%u", type);
  return {buf, static_cast<size_t>(n)};
}

std::string_view class_name(uint16_t klass, char* buf) {
  switch (klass) {
    case 1:
      return "IN";
    case 3:
      return "CH";
    case 4:
      return "HS";
    case 254:
      return "NONE";
    case 255:
      return "ANY";
  }
  int n = std::snprintf(buf, 16, "CLASS%u", klass);
  return {buf, static_cast<size_t>(n)};
}

std::string_view rcode_name(uint16_t rcode, char* buf) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  static constexpr std::string_view kExtended[] = {"BADSIG",  "BADKEY", "BADTIME",  "BADMODE",
                                                   "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
  if (rcode >= 16 && rcode < 16 + std::size(kExtended)) return kExtended[rcode - 16];
  int n = std::snprintf(buf, 16, "%u", rcode);
  return {buf, static_cast<size_t>(n)};
}

uint16_t type_from_name(std::string_view name) {
  if (name.size() > 4 && (name.substr(0, 4) == "TYPE" || name.substr(0, 4) == "type")) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), v);
    if (ec == std::errc() && p == name.data() + name.size() && v <= 0xffff) return v;
    return 0;
  }
  std::string s(name);
  return static_cast<uint16_t>(ldns_get_rr_type_by_name(s.c_str()));
}

}  // namespace cxxdns::dns
