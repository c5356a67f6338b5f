// The address a UDP query came to, for a socket bound to every address: the answer must
// leave from it (IP_PKTINFO / IPV6_PKTINFO), or a client that asked a secondary address gets
// its answer from the primary one and drops it.
#pragma once

#include <netinet/in.h>

#include <cstdint>

namespace cxxdns {

struct LocalAddress {
  int family = 0;  // 0: not known (a socket bound to one address needs none)
  unsigned ifindex = 0;
  in_addr v4{};   // AF_INET sockets
  in6_addr v6{};  // AF_INET6 sockets (IPv4 clients as IPv4-mapped)
};

}  // namespace cxxdns
