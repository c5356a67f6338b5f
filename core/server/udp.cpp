#include "core/server/udp.h"

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
    if (ctx.dropped()) return w->release(&ctx);
    w->queue_udp(&ctx);
  }
};
UdpSink g_udp_sink;

// Receive buffers belong to the thread (one worker per thread), not to each socket.
struct RecvBatch {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_storage addrs[kBatch];
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

}  // namespace

void udp_readable(uv_poll_t* handle, int status, int events) {
  auto* ep = static_cast<UdpEndpoint*>(handle->data);
  if (status < 0) return;
  if (!t_recv) t_recv = std::make_unique<RecvBatch>();
  RecvBatch& b = *t_recv;
  // A few rounds per wake-up, then back to the loop so other sockets get their turn.
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < kBatch; ++i) b.msgs[i].msg_hdr.msg_namelen = sizeof b.addrs[i];
    int n = recvmmsg(ep->fd, b.msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    for (int i = 0; i < n; ++i) {
      if (b.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
      ClientAddress from;
      std::memcpy(&from.storage, &b.addrs[i], b.msgs[i].msg_hdr.msg_namelen);
      from.len = b.msgs[i].msg_hdr.msg_namelen;
      ep->worker->handle_query({b.bufs[i], b.msgs[i].msg_len}, Transport::udp, from, ep->listener,
                               &g_udp_sink, ep);
    }
    ep->worker->flush_udp();
    if (n < kBatch) break;
  }
}

void read_udp_now(UdpEndpoint& ep) {
  udp_readable(&ep.poll, 0, UV_READABLE);
}

void start_udp(uv_loop_t* loop, UdpEndpoint& ep) {
  uv_poll_init_socket(loop, &ep.poll, ep.fd);
  ep.poll.data = &ep;
  uv_poll_start(&ep.poll, UV_READABLE, udp_readable);
}

void send_udp_batch(const std::vector<QueryContext*>& batch) {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  size_t i = 0;
  while (i < batch.size()) {
    int fd = static_cast<UdpEndpoint*>(batch[i]->sink_data())->fd;
    int n = 0;
    while (i + n < batch.size() && n < kBatch &&
           static_cast<UdpEndpoint*>(batch[i + n]->sink_data())->fd == fd) {
      QueryContext* c = batch[i + n];
      iov[n] = {c->response().data(), c->response().size()};
      std::memset(&msgs[n].msg_hdr, 0, sizeof msgs[n].msg_hdr);
      msgs[n].msg_hdr.msg_iov = &iov[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
      msgs[n].msg_hdr.msg_name = const_cast<sockaddr_storage*>(&c->client().storage);
      msgs[n].msg_hdr.msg_namelen = c->client().len;
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
