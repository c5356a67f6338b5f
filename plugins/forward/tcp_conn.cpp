#include "plugins/forward/tcp_conn.h"

#include <algorithm>

#include "plugins/forward/exchange.h"

namespace cxxdns::plugins::forward {

void TcpConn::close(Exchange* notify_when_closed) {
  if (closing) return;
  closing = true;
  owner = nullptr;
  notify = notify_when_closed;
  uv_close(reinterpret_cast<uv_handle_t*>(&h), on_close);
}

void TcpConn::on_close(uv_handle_t* h) {
  auto* c = static_cast<TcpConn*>(h->data);
  Exchange* ex = c->notify;
  Forward::Worker* w = c->w;
  Upstream* up = c->up;
  delete c;
  if (!w->stopping) {
    auto& slots = w->slots(up);
    if (slots.open > 0) --slots.open;
  }
  if (ex) ex->on_conn_closed();
  if (!w->stopping) w->tcp_room(up);
}

void TcpConn::on_idle_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  if (n == 0) return;
  // EOF, an error, or bytes nobody asked for: the connection is no good any more.
  auto* c = static_cast<TcpConn*>(s->data);
  if (c->owner) return;
  c->w->drop_idle(c);
  c->close(nullptr);
}

TcpConn* Forward::Worker::take_tcp(Upstream* up, uint64_t now_ms, uint64_t expire_ms) {
  for (size_t i = idle_tcp.size(); i-- > 0;) {
    TcpConn* c = idle_tcp[i];
    if (c->up != up) continue;
    idle_tcp.erase(idle_tcp.begin() + static_cast<long>(i));
    if (now_ms - c->idle_since_ms >= expire_ms) {
      c->close(nullptr);
      continue;
    }
    return c;
  }
  return nullptr;
}

void Forward::Worker::drop_idle(TcpConn* c) {
  auto it = std::find(idle_tcp.begin(), idle_tcp.end(), c);
  if (it != idle_tcp.end()) idle_tcp.erase(it);
}

}  // namespace cxxdns::plugins::forward
