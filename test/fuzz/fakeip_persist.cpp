// (f) The fakeip persist file loader (load_mappings) into one IPv4 and one IPv6 pool, then
// the pools used as after a restart: lookups, reverse lookups, save.
#include <cstdlib>
#include <string>

#include "common.h"
#include "plugins/fakeip/persist.h"
#include "plugins/fakeip/pool.h"

using namespace cxxdns::plugins;

namespace {
Cidr cidr(const char* text) {
  Cidr c;
  if (!Cidr::parse(text, c).empty()) std::abort();
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_stdout();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::temp_file(data, size);
  FakePool v4(cidr("198.18.0.0/28"));
  FakePool v6(cidr("fc00::/120"));
  std::vector<FakePool*> pools = {&v4, &v6};
  size_t n = load_mappings(path, pools).mappings;
  if (n != v4.used() + v6.used()) std::abort();
  if (v4.used() > v4.capacity() || v6.used() > v6.capacity()) std::abort();
  uint8_t addr[16];
  for (auto& [a, name] : v4.entries()) {
    v4.lookup_or_assign(name, addr);
    std::string back;
    if (v4.reverse(addr, back) != FakePool::Reverse::mapped || back != name) std::abort();
  }
  v6.lookup_or_assign("fresh.example.", addr);
  if (!save_mappings(path + ".out", pools).empty()) std::abort();
  return 0;
}
