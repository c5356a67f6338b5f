#include "plugins/hosts/hostsfile.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "core/dns/name.h"
#include "core/dns/reverse.h"

namespace cxxdns::plugins {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// The fields of one line of hosts text, its comment left out.
void split_fields(std::string_view line, std::vector<std::string>& fields) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    if (i > start) fields.emplace_back(line.substr(start, i - start));
  }
}

// The address a line starts with: IPv4 in a4, or IPv6 in a6.
struct HostAddress {
  bool is4 = false;
  std::array<uint8_t, 4> a4;
  // IN6_IS_ADDR_V4MAPPED reads it as an in6_addr, which is aligned to 4.
  alignas(in6_addr) std::array<uint8_t, 16> a6;
};

// False when `text` is no address; bad lines are skipped, as CoreDNS does.
bool parse_address(std::string text, HostAddress& out) {
  // A zone index (fe80::1%eth0) cannot be served; drop it as Go's net.ParseIP does not take it.
  if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
  out.is4 = inet_pton(AF_INET, text.c_str(), out.a4.data()) == 1;
  if (out.is4) return true;
  if (inet_pton(AF_INET6, text.c_str(), out.a6.data()) != 1) return false;
  // An IPv4-mapped IPv6 address is an IPv4 address to Go's net package.
  if (IN6_IS_ADDR_V4MAPPED(reinterpret_cast<in6_addr*>(out.a6.data()))) {
    std::copy(out.a6.begin() + 12, out.a6.end(), out.a4.begin());
    out.is4 = true;
  }
  return true;
}

bool in_any_zone(const std::string& name, const std::vector<std::string>& zones) {
  return std::any_of(zones.begin(), zones.end(),
                     [&](const std::string& z) { return dns::is_subdomain(name, z); });
}

// Appends `v` unless it is there already; false when it was.
template <typename T>
bool add_once(std::vector<T>& list, const T& v) {
  if (std::find(list.begin(), list.end(), v) != list.end()) return false;
  list.push_back(v);
  return true;
}

// One line's fields, `ADDRESS NAME...`, into the table.
void add_line(HostsTable& table, const std::vector<std::string>& fields,
              const std::vector<std::string>& zones, bool reverse) {
  if (fields.size() < 2) return;
  HostAddress a;
  if (!parse_address(fields[0], a)) return;
  std::string rev = a.is4 ? dns::reverse_name(a.a4.data(), 4) : dns::reverse_name(a.a6.data(), 16);
  for (size_t f = 1; f < fields.size(); ++f) {
    std::string name = dns::canonical(fields[f]);
    if (!in_any_zone(name, zones)) continue;
    bool added = a.is4 ? add_once(table.v4[name], a.a4) : add_once(table.v6[name], a.a6);
    if (!added) continue;
    ++table.entries;
    if (reverse) add_once(table.ptr[rev], name);
  }
}

}  // namespace

void HostsTable::add_text(std::string_view text, const std::vector<std::string>& zones,
                          bool reverse) {
  std::vector<std::string> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    fields.clear();
    split_fields(text.substr(pos, eol - pos), fields);
    pos = eol + 1;
    add_line(*this, fields, zones, reverse);
  }
}

}  // namespace cxxdns::plugins
