// The hosts table: /etc/hosts-format text parsed into name -> addresses and
// reverse name -> names, immutable once built and swapped whole on reload.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cxxdns::plugins {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using NameMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct HostsTable {
  NameMap<std::vector<std::array<uint8_t, 4>>> v4;
  NameMap<std::vector<std::array<uint8_t, 16>>> v6;
  // Wildcard entries ("*.example.com"), by the name below the star ("example.com."): they
  // answer every name under it that has no entry of its own, the closest star winning.
  NameMap<std::vector<std::array<uint8_t, 4>>> wild4;
  NameMap<std::vector<std::array<uint8_t, 16>>> wild6;
  NameMap<std::vector<std::string>> ptr;  // "1.0.0.10.in-addr.arpa." -> names
  size_t entries = 0;                     // (address, name) pairs, for coredns_hosts_entries

  // Adds the lines of `text`; names outside `zones` are ignored, bad lines skipped
  // (as CoreDNS does), each with a warning naming `source` and the line. With `reverse`,
  // PTR data is made for each address (not for wildcards: no name to point at).
  void add_text(std::string_view text, const std::vector<std::string>& zones, bool reverse,
                std::string_view source = "hosts");

  // The suffix whose wildcard answers `qname` (lower-case, absolute): the closest one, or
  // empty. Only for names without an entry of their own.
  std::string_view wildcard_for(std::string_view qname) const;
};

}  // namespace cxxdns::plugins
