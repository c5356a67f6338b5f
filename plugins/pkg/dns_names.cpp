#include "plugins/pkg/dns_names.h"

#include <ldns/ldns.h>

#include <string>

namespace cxxdns::pkg {

namespace {

struct Named {
  std::string_view name;
  uint16_t value;
};

constexpr Named kClasses[] = {{"IN", 1}, {"CS", 2},     {"CH", 3},
                              {"HS", 4}, {"NONE", 254}, {"ANY", 255}};

constexpr Named kRcodes[] = {
    {"NOERROR", 0},  {"FORMERR", 1},  {"SERVFAIL", 2},  {"NXDOMAIN", 3},   {"NOTIMP", 4},
    {"REFUSED", 5},  {"YXDOMAIN", 6}, {"YXRRSET", 7},   {"NXRRSET", 8},    {"NOTAUTH", 9},
    {"NOTZONE", 10}, {"BADSIG", 16},  {"BADKEY", 17},   {"BADTIME", 18},   {"BADMODE", 19},
    {"BADNAME", 20}, {"BADALG", 21},  {"BADTRUNC", 22}, {"BADCOOKIE", 23}, {"NOTIMPL", 4},
};

bool upper_mnemonic(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

bool type_from_name(std::string_view name, uint16_t& out) {
  if (!upper_mnemonic(name)) return false;
  if (name == "ANY") {
    out = 255;
    return true;
  }
  if (name.size() > 4 && name.substr(0, 4) == "TYPE") return false;
  const std::string s(name);
  const ldns_rr_type t = ldns_get_rr_type_by_name(s.c_str());
  if (t == 0) return false;
  out = static_cast<uint16_t>(t);
  return true;
}

bool class_from_name(std::string_view name, uint16_t& out) {
  for (const Named& c : kClasses) {
    if (c.name == name) {
      out = c.value;
      return true;
    }
  }
  return false;
}

bool rcode_from_name(std::string_view name, uint16_t& out) {
  for (const Named& r : kRcodes) {
    if (r.name == name) {
      out = r.value;
      return true;
    }
  }
  return false;
}

std::string_view go_type_name(uint16_t type) {
  if (type == 255) return "ANY";
  const ldns_rr_descriptor* d = ldns_rr_descript(type);
  if (d && d->_name && d->_type == type) return d->_name;
  return "";
}

std::string_view go_class_name(uint16_t klass) {
  for (const Named& c : kClasses) {
    if (c.value == klass) return c.name;
  }
  return "";
}

}  // namespace cxxdns::pkg
