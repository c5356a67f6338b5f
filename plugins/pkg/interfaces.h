// The host's network interface addresses (getifaddrs), read in one place for the plugins that
// need them: bind (the addresses of an interface it names), kubernetes (this server's
// addresses, for k8s_external's name servers, as CoreDNS's net.InterfaceAddrs()).
#pragma once

#include <string>
#include <vector>

#include "plugins/pkg/ip.h"

namespace cxxdns::pkg {

struct InterfaceAddress {
  std::string interface;  // "eth0"
  IpAddress address;
  bool loopback = false;    // 127.0.0.0/8 or ::1
  bool link_local = false;  // fe80::/10: usable only with a zone
};

// Every IPv4 and IPv6 address of every interface; none when they cannot be read.
std::vector<InterfaceAddress> interface_addresses();

}  // namespace cxxdns::pkg
