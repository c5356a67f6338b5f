// floor proxy: relays queries to one upstream and its answers back, with nothing else: one
// connected upstream socket (as dnsdist's default), sequential upstream IDs mapped back to
// the client's address and ID, recvmmsg/sendmmsg batches both ways, one epoll loop. No
// cache, no timeouts, no retries: the least CPU a forwarded query can cost through the
// socket API. Usage: cxxdns_floor_proxy PORT UPSTREAM_PORT (both on 127.0.0.1)
#include <sys/epoll.h>

#include <initializer_list>

#include "bench/floor/floor.h"

namespace {

using namespace floor_ref;

struct Pending {
  sockaddr_in client;
  uint16_t client_id;
  bool used;
};
Pending g_pending[65536];  // by upstream ID
uint16_t g_next_id = 0;

// Client queries -> upstream. Returns the number read.
int relay_queries(int cfd, int ufd, Batch& b) {
  b.arm();
  int n = recvmmsg(cfd, b.msgs, kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  int out = 0;
  for (int i = 0; i < n; ++i) {
    uint8_t* m = b.bufs[i];
    size_t len = b.msgs[i].msg_len;
    if (len < 12 || (m[2] & 0x80) || (b.msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) continue;
    uint16_t id = g_next_id++;
    g_pending[id] = {b.addrs[i], get16(m), true};
    put16(m, id);
    b.iov[i].iov_len = len;
    b.msgs[out] = b.msgs[i];
    b.msgs[out].msg_hdr.msg_name = nullptr;  // the socket is connected
    b.msgs[out].msg_hdr.msg_namelen = 0;
    ++out;
  }
  if (out > 0) sendmmsg(ufd, b.msgs, out, 0);
  return n;
}

// Upstream answers -> their clients. Returns the number read.
int relay_answers(int ufd, int cfd, Batch& b) {
  b.arm();
  int n = recvmmsg(ufd, b.msgs, kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  int out = 0;
  for (int i = 0; i < n; ++i) {
    uint8_t* m = b.bufs[i];
    size_t len = b.msgs[i].msg_len;
    if (len < 12) continue;
    Pending& p = g_pending[get16(m)];
    if (!p.used) continue;
    p.used = false;
    put16(m, p.client_id);
    b.iov[i].iov_len = len;
    b.msgs[out] = b.msgs[i];
    b.msgs[out].msg_hdr.msg_name = &p.client;
    b.msgs[out].msg_hdr.msg_namelen = sizeof p.client;
    ++out;
  }
  if (out > 0) sendmmsg(cfd, b.msgs, out, 0);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PORT UPSTREAM_PORT\n", argv[0]);
    return 2;
  }
  int cfd = udp_socket(static_cast<uint16_t>(std::atoi(argv[1])), SOCK_NONBLOCK);
  int ufd = udp_socket(0, SOCK_NONBLOCK);
  sockaddr_in up = loopback(static_cast<uint16_t>(std::atoi(argv[2])));
  if (connect(ufd, reinterpret_cast<sockaddr*>(&up), sizeof up) != 0) die("connect");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {cfd, ufd}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) die("epoll_ctl");
  }
  static Batch b;
  for (;;) {
    epoll_event ev[2];
    int ne = epoll_wait(ep, ev, 2, -1);
    for (int k = 0; k < ne; ++k) {
      // A few batches per wake-up, as cxxdns's listener, then the other socket's turn.
      for (int round = 0; round < 8; ++round) {
        int n = ev[k].data.fd == cfd ? relay_queries(cfd, ufd, b) : relay_answers(ufd, cfd, b);
        if (n < kBatch) break;
      }
    }
  }
}
