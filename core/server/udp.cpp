#include "core/server/udp.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/server/worker.h"

namespace cxxdns {

namespace {

constexpr int kBatch = 32;
// Queries larger than this are not DNS queries anyone sends; they are dropped.
constexpr size_t kMaxQuery = 4096;

class UdpSink final : public ReplySink {
 public:
  void deliver(QueryContext& ctx) override {
    Worker* w = static_cast<UdpEndpoint*>(ctx.sink_data())->worker;
    if (ctx.response_bytes().empty()) return w->release(&ctx);  // dropped: nothing to send
    w->queue_udp(&ctx);
  }
};
UdpSink g_udp_sink;

// Room for one IP_PKTINFO or IPV6_PKTINFO control message.
constexpr size_t kControlSpace = CMSG_SPACE(sizeof(in6_pktinfo));
struct alignas(cmsghdr) Control {
  uint8_t bytes[kControlSpace];
};

// Receive buffers belong to the thread (one worker per thread), not to each socket.
struct RecvBatch {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_storage addrs[kBatch];
  Control control[kBatch];
  uint8_t bufs[kBatch][kMaxQuery];

  // The kernel writes back only msg_len, msg_namelen and msg_flags: the rest is set once.
  RecvBatch() {
    std::memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i], kMaxQuery};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &addrs[i];
    }
  }
};
thread_local std::unique_ptr<RecvBatch> t_recv;  // freed when the worker thread ends

// The address a datagram came to, from its IP_PKTINFO / IPV6_PKTINFO control message.
LocalAddress destination_of(msghdr& h) {
  LocalAddress to;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      to.family = AF_INET6;
      to.v6 = pi.ipi6_addr;
      // An interface matters for link-local addresses; an IPv4 client's answer is routed.
      to.ifindex = IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr) ? 0 : pi.ipi6_ifindex;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      to.family = AF_INET;
      to.v4 = pi.ipi_addr;
    }
  }
  return to;
}

// Writes the control message that makes an answer leave from `from`; returns its length.
size_t source_control(const LocalAddress& from, Control& out) {
  std::memset(out.bytes, 0, sizeof out.bytes);
  msghdr h{};
  h.msg_control = out.bytes;
  h.msg_controllen = sizeof out.bytes;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (from.family == AF_INET6) {
    in6_pktinfo pi{};
    pi.ipi6_addr = from.v6;
    pi.ipi6_ifindex = from.ifindex;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    return CMSG_SPACE(sizeof pi);
  }
  in_pktinfo pi{};
  pi.ipi_spec_dst = from.v4;  // the source address; the route picks the interface
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof pi);
  std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  return CMSG_SPACE(sizeof pi);
}

}  // namespace

void udp_readable(uv_poll_t* handle, int status, int events) {
  auto* ep = static_cast<UdpEndpoint*>(handle->data);
  if (status < 0) return;
  if (!t_recv) t_recv = std::make_unique<RecvBatch>();
  RecvBatch& b = *t_recv;
  // A few rounds per wake-up, then back to the loop so other sockets get their turn.
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < kBatch; ++i) {
      msghdr& h = b.msgs[i].msg_hdr;
      h.msg_namelen = sizeof b.addrs[i];
      h.msg_control = ep->pktinfo ? b.control[i].bytes : nullptr;
      h.msg_controllen = ep->pktinfo ? sizeof b.control[i].bytes : 0;
    }
    int n = recvmmsg(ep->fd, b.msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    for (int i = 0; i < n; ++i) {
      msghdr& h = b.msgs[i].msg_hdr;
      if (h.msg_flags & MSG_TRUNC) continue;
      ClientAddress from;
      std::memcpy(&from.storage, &b.addrs[i], h.msg_namelen);
      from.len = h.msg_namelen;
      ep->worker->handle_query({b.bufs[i], b.msgs[i].msg_len}, Transport::udp, from, ep->listener,
                               &g_udp_sink, ep, ep->pktinfo ? destination_of(h) : LocalAddress{});
    }
    ep->worker->flush_udp();
    if (n < kBatch) break;
  }
}

void read_udp_now(UdpEndpoint& ep) {
  udp_readable(&ep.poll, 0, UV_READABLE);
}

void start_udp(uv_loop_t* loop, UdpEndpoint& ep) {
  ep.pktinfo = is_bound_to_any(ep.fd);
  uv_poll_init_socket(loop, &ep.poll, ep.fd);
  ep.poll.data = &ep;
  uv_poll_start(&ep.poll, UV_READABLE, udp_readable);
}

void send_udp_batch(const std::vector<QueryContext*>& batch) {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  Control control[kBatch];
  size_t i = 0;
  while (i < batch.size()) {
    int fd = static_cast<UdpEndpoint*>(batch[i]->sink_data())->fd;
    int n = 0;
    while (i + n < batch.size() && n < kBatch &&
           static_cast<UdpEndpoint*>(batch[i + n]->sink_data())->fd == fd) {
      // Every context a worker hands the UDP sink is one of its pool's.
      auto* c = static_cast<ServerContext*>(batch[i + n]);
      std::span<uint8_t> resp = c->response_bytes();
      iov[n] = {resp.data(), resp.size()};
      msghdr& h = msgs[n].msg_hdr;
      std::memset(&h, 0, sizeof h);
      h.msg_iov = &iov[n];
      h.msg_iovlen = 1;
      h.msg_name = const_cast<sockaddr_storage*>(&c->client().storage);
      h.msg_namelen = c->client().len;
      if (c->local.family != 0) {
        h.msg_control = control[n].bytes;
        h.msg_controllen = source_control(c->local, control[n]);
      }
      ++n;
    }
    int sent = 0;
    while (sent < n) {
      int r = sendmmsg(fd, msgs + sent, n - sent, MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        // A full socket buffer or an unreachable client: UDP answers may be lost; skip one.
        ++sent;
        continue;
      }
      sent += r;
    }
    i += n;
  }
}

}  // namespace cxxdns
