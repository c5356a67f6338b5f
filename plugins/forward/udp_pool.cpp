#include "plugins/forward/udp_pool.h"

#include <algorithm>

#include "core/dns/message.h"
#include "plugins/forward/exchange.h"

namespace cxxdns::plugins::forward {

bool UdpSock::has_id(uint16_t id) const {
  for (const auto& wt : waiting) {
    if (wt.id == id) return true;
  }
  return false;
}

void UdpSock::remove(Exchange* ex) {
  for (size_t i = 0; i < waiting.size(); ++i) {
    if (waiting[i].ex == ex) {
      waiting[i] = waiting.back();
      waiting.pop_back();
      break;
    }
  }
  if (retired && waiting.empty()) close();
}

void UdpSock::close() {
  if (closing) return;
  closing = true;
  auto& v = w->udp_socks;
  auto it = std::find(v.begin(), v.end(), this);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&h),
           [](uv_handle_t* hh) { delete static_cast<UdpSock*>(hh->data); });
}

void UdpSock::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* s = static_cast<UdpSock*>(h->data);
  // One buffer per worker: an answer is copied out before the next datagram is read.
  *buf = uv_buf_init(reinterpret_cast<char*>(s->w->udp_buf.get()),
                     static_cast<unsigned>(kUdpBatch * 65536));
}

void UdpSock::on_read(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr*,
                      unsigned flags) {
  auto* s = static_cast<UdpSock*>(h->data);
  // UV_UDP_MMSG_FREE ends a batch (n == 0): the buffer is the worker's, nothing to free.
  if (n == 0 || (flags & UV_UDP_MMSG_FREE) || s->closing) return;
  if (n < 0) {
    // A connected socket reports the upstream's ICMP port unreachable here: every query on
    // it fails this try, and the socket is not used again.
    s->retired = true;
    std::vector<Waiting> failed;
    failed.swap(s->waiting);
    const char* reason = uv_strerror(static_cast<int>(n));
    for (auto& wt : failed) wt.ex->udp_failed(s, reason);
    if (s->waiting.empty()) s->close();
    return;
  }
  if (static_cast<size_t>(n) < dns::kHeaderSize) return;
  const auto* msg = reinterpret_cast<const uint8_t*>(buf->base);
  uint16_t id = dns::get16(msg);
  for (const auto& wt : s->waiting) {
    if (wt.id == id) {
      // Checks the question too; a mismatch is ignored and the query waits on.
      wt.ex->on_message(msg, static_cast<size_t>(n));
      return;
    }
  }
}

UdpSock* Forward::Worker::udp_socket(Upstream* up, uint64_t now_ms, bool& fresh) {
  UdpSock* best = nullptr;
  size_t count = 0;
  for (size_t i = udp_socks.size(); i-- > 0;) {
    UdpSock* s = udp_socks[i];
    if (s->up != up || s->retired) continue;
    if (s->uses >= kUdpMaxUses || now_ms - s->born_ms >= kUdpMaxAgeMs) {
      s->retired = true;
      if (s->waiting.empty()) s->close();  // swaps the last one into i: already seen
      continue;
    }
    ++count;
    if (!best || s->waiting.size() < best->waiting.size()) best = s;
  }
  if (best && (best->waiting.size() < kUdpBusy || count >= kUdpMaxSockets)) return best;
  fresh = true;

  auto* s = new UdpSock;
  s->w = this;
  s->up = up;
  s->born_ms = now_ms;
  if (!udp_buf) udp_buf.reset(new uint8_t[kUdpBatch * 65536]);
  // Several answers waiting on one socket come in with one recvmmsg.
  uv_udp_init_ex(loop, &s->h, AF_UNSPEC | UV_UDP_RECVMMSG);
  s->h.data = s;
  // connect() binds to a random ephemeral port chosen by the kernel.
  int rc = uv_udp_connect(&s->h, reinterpret_cast<const sockaddr*>(&up->addr));
  if (rc == 0) rc = uv_udp_recv_start(&s->h, UdpSock::on_alloc, UdpSock::on_read);
  udp_socks.push_back(s);
  if (rc != 0) {
    s->retired = true;
    s->close();
    return best;  // null when there is none: the try fails
  }
  return s;
}

}  // namespace cxxdns::plugins::forward
