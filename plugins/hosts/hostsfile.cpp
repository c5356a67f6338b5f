#include "plugins/hosts/hostsfile.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "core/dns/name.h"
#include "core/dns/reverse.h"

namespace cxxdns::plugins {

void HostsTable::add_text(std::string_view text, const std::vector<std::string>& zones,
                          bool reverse) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> fields;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
      if (i > start) fields.emplace_back(line.substr(start, i - start));
    }
    if (fields.size() < 2) continue;
    std::string addr_text = fields[0];
    // A zone index (fe80::1%eth0) cannot be served; drop it as Go's net.ParseIP does not take it.
    if (auto pct = addr_text.find('%'); pct != std::string::npos) addr_text.resize(pct);
    std::array<uint8_t, 4> a4;
    std::array<uint8_t, 16> a6;
    bool is4 = inet_pton(AF_INET, addr_text.c_str(), a4.data()) == 1;
    bool is6 = !is4 && inet_pton(AF_INET6, addr_text.c_str(), a6.data()) == 1;
    if (!is4 && !is6) continue;
    // An IPv4-mapped IPv6 address is an IPv4 address to Go's net package.
    if (is6 && IN6_IS_ADDR_V4MAPPED(reinterpret_cast<in6_addr*>(a6.data()))) {
      std::copy(a6.begin() + 12, a6.end(), a4.begin());
      is4 = true;
      is6 = false;
    }
    std::string rev = is4 ? dns::reverse_name(a4.data(), 4) : dns::reverse_name(a6.data(), 16);
    for (size_t f = 1; f < fields.size(); ++f) {
      std::string name = dns::canonical(fields[f]);
      bool in_zone = std::any_of(zones.begin(), zones.end(),
                                 [&](const std::string& z) { return dns::is_subdomain(name, z); });
      if (!in_zone) continue;
      if (is4) {
        auto& v = v4[name];
        if (std::find(v.begin(), v.end(), a4) != v.end()) continue;
        v.push_back(a4);
      } else {
        auto& v = v6[name];
        if (std::find(v.begin(), v.end(), a6) != v.end()) continue;
        v.push_back(a6);
      }
      ++entries;
      if (reverse) {
        auto& names = ptr[rev];
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    }
  }
}

}  // namespace cxxdns::plugins
