#include "plugins/pkg/interfaces.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

namespace cxxdns::pkg {

std::vector<InterfaceAddress> interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    InterfaceAddress ia;
    ia.interface = i->ifa_name ? i->ifa_name : "";
    if (i->ifa_addr->sa_family == AF_INET) {
      ia.address.len = 4;
      std::memcpy(ia.address.bytes.data(),
                  &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* a6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      ia.address.len = 16;
      std::memcpy(ia.address.bytes.data(), &a6->sin6_addr, 16);
      ia.link_local = IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr);
    } else {
      continue;
    }
    ia.loopback = ia.address.is_loopback();
    out.push_back(std::move(ia));
  }
  freeifaddrs(list);
  return out;
}

}  // namespace cxxdns::pkg
