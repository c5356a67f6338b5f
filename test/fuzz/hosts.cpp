// (e) The hosts file parser (HostsTable::add_text), forward and reverse.
#include <string>
#include <string_view>
#include <vector>

#include "common.h"
#include "plugins/hosts/hostsfile.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const std::vector<std::string> root = {"."};
  static const std::vector<std::string> zones = {"example.org.", "in-addr.arpa.", "ip6.arpa."};
  cxxdns::plugins::HostsTable a;
  a.add_text(text, root, true);
  cxxdns::plugins::HostsTable b;
  b.add_text(text, zones, false);
  return 0;
}
