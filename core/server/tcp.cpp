#include "core/server/tcp.h"

#include <cstring>
#include <vector>

#include "core/dns/message.h"
#include "core/server/worker.h"

namespace cxxdns {

struct TcpConnection {
  uv_tcp_t handle;
  uv_timer_t idle;
  TcpEndpoint* ep = nullptr;
  ClientAddress peer;
  std::vector<uint8_t> buf;  // bytes read and not yet framed
  size_t used = 0;
  int inflight = 0;
  int open_handles = 0;
  bool closing = false;
  bool reading = false;
};

namespace {

struct TcpPartialWrite {
  uv_write_t req;
  std::vector<uint8_t> bytes;  // length prefix and message
};

struct TcpWrite {
  uv_write_t req;
  QueryContext* ctx;
  TcpConnection* conn;
  uint8_t length[2];  // the message's length prefix (RFC 1035 4.2.2)
};

void maybe_free(TcpConnection* c) {
  if (c->closing && c->open_handles == 0 && c->inflight == 0) {
    --c->ep->connections;
    delete c;
  }
}

void on_closed(uv_handle_t* h) {
  auto* c = static_cast<TcpConnection*>(h->data);
  --c->open_handles;
  maybe_free(c);
}

void close_connection(TcpConnection* c) {
  if (c->closing) return;
  c->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->idle), on_closed);
}

void arm_idle(TcpConnection* c);
void start_reading(TcpConnection* c);

class TcpSink final : public ReplySink {
 public:
  void deliver(QueryContext& ctx) override {
    auto* c = static_cast<TcpConnection*>(ctx.sink_data());
    Worker* w = c->ep->worker;
    if (c->closing || ctx.response_bytes().empty()) {  // empty: dropped, nothing to send
      --c->inflight;
      w->release(&ctx);
      maybe_free(c);
      return;
    }
    std::span<uint8_t> resp = ctx.response_bytes();
    auto* wr = new TcpWrite{{}, &ctx, c, {}};
    wr->req.data = wr;
    dns::put16(wr->length, static_cast<uint16_t>(resp.size()));
    uv_buf_t bufs[2] = {
        uv_buf_init(reinterpret_cast<char*>(wr->length), 2),
        uv_buf_init(reinterpret_cast<char*>(resp.data()), static_cast<unsigned>(resp.size()))};
    int rc = uv_write(&wr->req, reinterpret_cast<uv_stream_t*>(&c->handle), bufs, 2,
                      [](uv_write_t* req, int status) {
                        auto* wr = static_cast<TcpWrite*>(req->data);
                        TcpConnection* c = wr->conn;
                        --c->inflight;
                        c->ep->worker->release(wr->ctx);
                        delete wr;
                        if (status < 0) close_connection(c);
                        if (!c->closing) {
                          start_reading(c);
                          arm_idle(c);
                        }
                        maybe_free(c);
                      });
    if (rc != 0) {
      --c->inflight;
      w->release(&ctx);
      delete wr;
      close_connection(c);
      maybe_free(c);
    }
  }

  // One message of a multi-message answer: copied (the plugin reuses its buffer) with its
  // length prefix and queued on the connection ahead of the final answer, which deliver()
  // queues later: uv_write keeps the order. The copy is freed when written.
  bool send_partial(QueryContext& ctx, std::span<const uint8_t> msg) override {
    auto* c = static_cast<TcpConnection*>(ctx.sink_data());
    if (c->closing) return false;
    auto* wr = new TcpPartialWrite;
    wr->req.data = wr;
    wr->bytes.resize(2 + msg.size());
    dns::put16(wr->bytes.data(), static_cast<uint16_t>(msg.size()));
    std::memcpy(wr->bytes.data() + 2, msg.data(), msg.size());
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(wr->bytes.data()),
                               static_cast<unsigned>(wr->bytes.size()));
    // The callback runs before the connection can be freed: a closing handle cancels its
    // writes (status < 0) before its close callback.
    int rc = uv_write(&wr->req, reinterpret_cast<uv_stream_t*>(&c->handle), &buf, 1,
                      [](uv_write_t* req, int status) {
                        auto* wr = static_cast<TcpPartialWrite*>(req->data);
                        auto* c = static_cast<TcpConnection*>(req->handle->data);
                        delete wr;
                        if (status < 0) {
                          close_connection(c);
                        } else if (!c->closing) {
                          arm_idle(c);  // the write timeout counts from the last progress
                        }
                      });
    if (rc != 0) {
      delete wr;
      close_connection(c);
      return false;
    }
    return true;
  }
};
TcpSink g_tcp_sink;

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*);

void start_reading(TcpConnection* c) {
  if (c->reading || c->closing ||
      c->inflight >= c->ep->worker->tcp_limits().max_inflight_per_connection) {
    return;
  }
  c->reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->handle),
      [](uv_handle_t* h, size_t, uv_buf_t* out) {
        auto* c = static_cast<TcpConnection*>(h->data);
        if (c->buf.size() < c->used + 4096) c->buf.resize(c->used + 4096);
        *out = uv_buf_init(reinterpret_cast<char*>(c->buf.data() + c->used),
                           static_cast<unsigned>(c->buf.size() - c->used));
      },
      on_read);
}

// One timer a connection, in the mode of what it waits for: an answer the client has not
// taken yet (write), a message that has started to arrive (read), or nothing (idle). While
// queries are in the chain the plugins' own timeouts apply, so the timer only re-arms.
void arm_idle(TcpConnection* c) {
  if (c->closing) return;
  const ListenerSpec* l = c->ep->worker->listener(c->ep->listener);
  const TcpTimeouts t = l ? l->tcp_timeouts : TcpTimeouts{};
  uint64_t ms = t.idle_ms;
  if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&c->handle)) > 0) {
    ms = t.write_ms;
  } else if (c->used > 0) {
    ms = t.read_ms;
  }
  uv_timer_start(
      &c->idle,
      [](uv_timer_t* t) {
        auto* c = static_cast<TcpConnection*>(t->data);
        bool writing =
            uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&c->handle)) > 0;
        if (c->inflight > 0 && !writing && c->used == 0) return arm_idle(c);
        close_connection(c);
        maybe_free(c);
      },
      ms, 0);
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<TcpConnection*>(s->data);
  if (nread < 0) {
    close_connection(c);
    maybe_free(c);
    return;
  }
  c->used += static_cast<size_t>(nread);
  size_t off = 0;
  Worker* w = c->ep->worker;
  while (c->used - off >= 2) {
    size_t len = dns::get16(c->buf.data() + off);
    if (c->used - off < 2 + len) break;
    ++c->inflight;
    if (!w->handle_query({c->buf.data() + off + 2, len}, Transport::tcp, c->peer, c->ep->listener,
                         &g_tcp_sink, c)) {
      --c->inflight;  // dropped unanswered
    }
    off += 2 + len;
    if (c->closing) break;
  }
  if (off > 0) {
    std::memmove(c->buf.data(), c->buf.data() + off, c->used - off);
    c->used -= off;
  }
  arm_idle(c);
  if (c->inflight >= w->tcp_limits().max_inflight_per_connection) {
    uv_read_stop(s);
    c->reading = false;
  }
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* ep = static_cast<TcpEndpoint*>(server->data);
  auto* c = new TcpConnection;
  c->ep = ep;
  ++ep->connections;
  uv_tcp_init(server->loop, &c->handle);
  uv_timer_init(server->loop, &c->idle);
  c->handle.data = c;
  c->idle.data = c;
  c->open_handles = 2;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->handle)) != 0 ||
      ep->connections > ep->worker->tcp_limits().max_connections) {
    close_connection(c);
    return;
  }
  int len = sizeof c->peer.storage;
  uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&c->peer.storage), &len);
  c->peer.len = static_cast<socklen_t>(len);
  uv_tcp_nodelay(&c->handle, 1);
  start_reading(c);
  arm_idle(c);
}

}  // namespace

void start_tcp(uv_loop_t* loop, TcpEndpoint& ep, int fd) {
  uv_tcp_init(loop, &ep.handle);
  ep.handle.data = &ep;
  uv_tcp_open(&ep.handle, fd);
  uv_listen(reinterpret_cast<uv_stream_t*>(&ep.handle), 1024, on_connection);
}

}  // namespace cxxdns
