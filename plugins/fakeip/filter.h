// Filter: the names fakeip never fakes, as Clash's fake-ip-filter patterns:
//   example.com     the name only
//   *.example.com   names exactly one label below it
//   +.example.com   the name and every name below it
//   .example.com    every name below it, not the name itself
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace cxxdns::plugins {

class Filter {
 public:
  // Adds one pattern; empty on success, else the reason it is bad.
  std::string add(std::string_view pattern);
  // `name`: lower-case FQDN ("www.example.com.").
  bool match(std::string_view name) const;
  bool empty() const {
    return exact_.empty() && one_.empty() && self_below_.empty() && below_.empty();
  }

 private:
  // Canonical lower-case FQDNs; std::less<> looks them up by string_view without copying.
  std::set<std::string, std::less<>> exact_, one_, self_below_, below_;
};

}  // namespace cxxdns::plugins
