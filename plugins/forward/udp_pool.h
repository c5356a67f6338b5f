// A worker's connected UDP sockets to upstreams, shared by the queries in flight.
//
// Opening, connecting, registering with epoll and closing a socket per query costs more than
// the query itself. A socket here serves many queries, several at a time, and is retired
// after kUdpMaxUses queries or kUdpMaxAgeMs, so the source port still keeps changing: each
// socket is bound by the kernel to a random ephemeral port, every query has its own random
// ID (unique among the socket's queries in flight), and an answer counts only when its ID and
// question match a query in flight on that socket.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

#include "plugins/forward/forward.h"

namespace cxxdns::plugins::forward {

// At most this many sockets per upstream and worker.
constexpr size_t kUdpMaxSockets = 64;
// A socket with this many queries in flight makes the next query open another one. More
// queries per socket batch more answers per wakeup but give a spoofer more IDs to hit.
constexpr size_t kUdpBusy = 8;
// Datagrams read by one recvmmsg call (libuv's UV_UDP_RECVMMSG, 64 KiB each).
constexpr size_t kUdpBatch = 8;
// A socket takes no new query after this many, or after this long.
constexpr uint32_t kUdpMaxUses = 100;
constexpr uint64_t kUdpMaxAgeMs = 2000;

struct UdpSock {
  struct Waiting {
    uint16_t id;
    Exchange* ex;
  };
  uv_udp_t h;
  Forward::Worker* w = nullptr;
  Upstream* up = nullptr;
  uint64_t born_ms = 0;
  uint32_t uses = 0;
  bool retired = false;
  bool closing = false;
  std::vector<Waiting> waiting;  // a few entries: a linear search is the fastest

  bool has_id(uint16_t id) const;
  // The exchange no longer waits here; a retired socket closes with its last query.
  void remove(Exchange* ex);
  void close();

  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from,
                      unsigned flags);
};

}  // namespace cxxdns::plugins::forward
