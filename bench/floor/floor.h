// The floor: reference servers that do the least a user-space DNS server can do per query
// with the kernel's UDP sockets, so that bench/run can show, in the same run, how much of
// every server's CPU time is the kernel's loopback UDP path that no server code can avoid.
// They are yardsticks, not DNS servers: no cache, no retries, no EDNS, no TCP.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace floor_ref {

// Datagrams per recvmmsg/sendmmsg call, as cxxdns's listener.
constexpr int kBatch = 32;
constexpr size_t kMaxDatagram = 512;

inline void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A UDP socket with 4 MiB buffers (as cxxdns's), bound to 127.0.0.1:port (0: any port).
inline int udp_socket(uint16_t port, int flags = 0) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | flags, 0);
  if (fd < 0) die("socket");
  int size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  sockaddr_in a = loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  return fd;
}

// One batch of datagrams: buffers, addresses and the mmsghdr array pointing at them.
struct Batch {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_in addrs[kBatch];
  uint8_t bufs[kBatch][kMaxDatagram];

  // Ready for recvmmsg: every buffer whole, every address slot empty.
  void arm() {
    std::memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i], kMaxDatagram};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    }
  }
};

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace floor_ref
