// Listening sockets: one UDP and one TCP socket per listener per worker, all with
// SO_REUSEPORT so the kernel spreads clients over workers with no lock on the way.
#pragma once

#include <cstdint>
#include <string>

namespace cxxdns {

struct BoundSockets {
  int udp = -1;  // -1 for a TCP-only listener
  int tcp = -1;
};

// Binds UDP (unless `udp` is false: tls:// and https:// listen on TCP only) and TCP on
// address:port ("" = every address: [::] dual-stack, or 0.0.0.0 on a host without IPv6).
// Throws std::runtime_error naming the address on failure.
BoundSockets bind_listener(const std::string& address, uint16_t port, bool udp = true);

// Whether `fd` is bound to every address (0.0.0.0 or ::): its UDP answers then carry the
// address each query came to (see local_address.h).
bool is_bound_to_any(int fd);

}  // namespace cxxdns
