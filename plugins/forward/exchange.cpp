#include "plugins/forward/exchange.h"

#include <fmt/format.h>

#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "core/dns/message.h"
#include "core/dns/text.h"
#include "plugins/forward/answer_check.h"
#include "plugins/forward/udp_pool.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins::forward {

namespace {

uint64_t now_ms(uv_loop_t* loop) {
  return uv_now(loop);
}

}  // namespace

Exchange::Exchange(Forward::Worker& w) : w_(w) {
  uv_timer_init(w_.loop, &timer_);
  timer_.data = this;
  open_handles_ = 1;
}

void Exchange::start_query(Forward* fw, PendingQuery query, size_t block, const uint8_t* order,
                           size_t n) {
  fw_ = fw;
  pending_ = std::move(query);
  QueryContext& ctx = pending_.ctx();
  probe_ = nullptr;
  block_ = block;
  blk_ = fw->blocks()[block].get();
  std::memcpy(order_, order, n);
  norder_ = n;
  tried_ = 0;
  pass_ = 0;
  timed_out_in_pass_ = false;
  retry_tcp_ = false;
  closed_retried_ = false;
  finished_ = false;
  last_error_.clear();
  qname_ = ctx.q().qname_lower;
  qtype_ = ctx.q().qtype;
  qclass_ = ctx.q().qclass;
  auto wire = ctx.query_wire();
  wire_.assign(wire.begin(), wire.end());
  deadline_ms_ = now_ms(w_.loop) + kOverallTimeoutMs;
  next_try();
}

void Exchange::start_probe(Probe* probe) {
  fw_ = probe->fw;
  probe_ = probe;
  blk_ = probe->block;
  norder_ = 0;
  tried_ = 0;
  retry_tcp_ = false;
  closed_retried_ = false;
  finished_ = false;
  qname_ = probe->qname;
  qname_.to_lower();
  qtype_ = dns::type::NS;
  qclass_ = dns::cls::IN;
  wire_ = probe->query;
  up_ = probe->up;
  deadline_ms_ = now_ms(w_.loop) + kHealthTimeoutMs;
  begin(blk_->opts.force_tcp || up_->tls || up_->https);
}

bool Exchange::out_of_tries() const {
  return now_ms(w_.loop) >= deadline_ms_ || (tried_ >= norder_ && !timed_out_in_pass_);
}

void Exchange::next_try() {
  // CoreDNS goes round its list until the deadline; a pass that only met fast failures
  // (refused, reset, malformed) ends it, as asking again would only spin.
  while (!out_of_tries()) {
    if (tried_ >= norder_) {
      tried_ = 0;
      timed_out_in_pass_ = false;
      ++pass_;
    }
    Upstream* up = blk_->opts.upstreams[order_[tried_++]].get();
    // Later passes skip what health checks found down meanwhile.
    if (pass_ > 0 && up->down(blk_->opts.max_fails)) continue;
    up_ = up;
    begin(up_->tls || up_->https || blk_->opts.force_tcp ||
          (!blk_->opts.prefer_udp && pending_->transport() == Transport::tcp));
    return;
  }
  all_failed();
}

void Exchange::begin(bool tcp) {
  tcp_ = tcp;
  // A fresh random ID per try: an answer to an earlier try, or a spoofed one, is ignored.
  // Over HTTPS the ID is 0 (RFC 8484 4.1: cache friendly); the HTTP stream is the match.
  id_ = up_->https ? 0 : w_.ids.next16();
  dns::put16(wire_.data(), id_);
  try_start_ns_ = QueryContext::now_ns();
  rlen_ = 0;
  peer_closed_ = false;
  if (pending_) up_->requests.fetch_add(1, std::memory_order_relaxed);

  uint64_t now = now_ms(w_.loop);
  uint64_t left = deadline_ms_ > now ? deadline_ms_ - now : 1;
  uv_timer_start(&timer_, on_timer,
                 std::min<uint64_t>(left, probe_ ? kHealthTimeoutMs : kTryTimeoutMs), 0);

  if (up_->https) {
    begin_https();
  } else if (tcp) {
    begin_tcp(now);
  } else {
    begin_udp(now);
  }
}

void Exchange::begin_udp(uint64_t now) {
  sock_ = Sock::udp;
  bool fresh = false;
  usock_ = w_.udp_socket(up_, now, fresh);
  if (!usock_) {
    try_failed("cannot open a UDP socket");
    return;
  }
  if (pending_) count_conn(up_->metrics, *up_, Proto::udp, !fresh, w_.index);
  // Unique among the socket's queries in flight, so an answer has one possible owner.
  while (usock_->has_id(id_)) id_ = w_.ids.next16();
  dns::put16(wire_.data(), id_);
  usock_->waiting.push_back({id_, this});
  ++usock_->uses;
  uv_buf_t b =
      uv_buf_init(reinterpret_cast<char*>(wire_.data()), static_cast<unsigned>(wire_.size()));
  int sent = uv_udp_try_send(&usock_->h, &b, 1, nullptr);
  if (sent < 0) try_failed(uv_strerror(sent));
}

void Exchange::begin_tcp(uint64_t now) {
  sock_ = Sock::tcp;
  reused_ = false;
  if (!fresh_tcp_) conn_ = w_.take_tcp(up_, now, expire_ms());
  fresh_tcp_ = false;
  if (!conn_ && w_.slots(up_).open >= kTcpMaxConns) {
    // All this worker's connections to the upstream are busy: wait for one.
    sock_ = Sock::tcp_wait;
    w_.slots(up_).waiting.push_back(this);
    return;
  }
  take_tcp_slot(conn_);
}

void Exchange::begin_https() {
  sock_ = Sock::https;
  std::string err;
  DohClient* doh = w_.doh_client(err);
  doh_req_ = doh ? doh->send(*up_, blk_->doh, wire_, on_doh_done, this) : nullptr;
  if (!doh_req_) try_failed(doh ? "https: cannot start a request" : err.c_str());
}

void Exchange::on_doh_done(void* owner, const uint8_t* body, size_t len, bool reused,
                           const char* error) {
  auto* ex = static_cast<Exchange*>(owner);
  ex->doh_req_ = nullptr;  // the client frees it after this call
  if (ex->pending_) count_conn(ex->up_->metrics, *ex->up_, Proto::https, reused, ex->w_.index);
  if (error) {
    ex->try_failed(error);
    return;
  }
  // The body is the client's: the answer is kept here, as a TCP answer is.
  ex->rbuf_.assign(body, body + len);
  ex->rlen_ = len;
  if (!ex->matches(ex->rbuf_.data(), len)) {
    ex->try_failed("https: the answer is not for the query", false);
    return;
  }
  ex->answer_ = ex->rbuf_.data();
  ex->answer_len_ = len;
  ex->complete();
}

uint64_t Exchange::expire_ms() const {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(blk_->opts.expire).count());
}

void Exchange::resume_tcp() {
  take_tcp_slot(w_.take_tcp(up_, now_ms(w_.loop), expire_ms()));
}

void Exchange::retire() {
  dying_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
}

void Exchange::take_tcp_slot(TcpConn* c) {
  sock_ = Sock::tcp;
  conn_ = c;
  if (pending_) {
    // A miss is a connection opened for this try; a try that waited for one is a hit.
    (conn_ ? up_->tcp_conn_hits : up_->tcp_conn_misses).fetch_add(1, std::memory_order_relaxed);
    count_conn(up_->metrics, *up_, up_->tls ? Proto::tls : Proto::tcp, conn_ != nullptr, w_.index);
  }
  ++open_handles_;
  if (conn_) {
    reused_ = true;
    conn_->owner = this;
    send_tcp();
    return;
  }
  connect_tcp();
}

void Exchange::connect_tcp() {
  ++w_.slots(up_).open;  // TcpConn::on_close gives it back
  conn_ = new TcpConn;
  conn_->w = &w_;
  conn_->up = up_;
  conn_->owner = this;
  uv_tcp_init(w_.loop, &conn_->h);
  conn_->h.data = conn_;
  conn_->connect_req.data = conn_;
  int rc = uv_tcp_connect(&conn_->connect_req, &conn_->h,
                          reinterpret_cast<const sockaddr*>(&up_->addr), on_connect);
  if (rc != 0) try_failed(uv_strerror(rc));
}

void Exchange::on_connect(uv_connect_t* req, int status) {
  auto* c = static_cast<TcpConn*>(req->data);
  if (status == UV_ECANCELED || !c->owner) return;
  if (status != 0) {
    c->owner->try_failed(uv_strerror(status));
    return;
  }
  if (c->up->tls) {
    Exchange* ex = c->owner;
    if (!c->tls_start(ex->blk_->tls_ctx.get(), c->up->tls_servername)) {
      if (c->owner == ex) ex->try_failed("tls: cannot start a session");
    }
    return;  // send_tcp runs once the handshake is done
  }
  c->owner->send_tcp();
}

void Exchange::send_tcp() {
  dns::put16(len_prefix_, static_cast<uint16_t>(wire_.size()));
  if (conn_->ssl) {
    // One TLS record for the length and the message; the read side is always on (tls.cpp).
    std::vector<uint8_t> out(2 + wire_.size());
    std::memcpy(out.data(), len_prefix_, 2);
    std::memcpy(out.data() + 2, wire_.data(), wire_.size());
    if (!conn_->tls_send(out.data(), out.size()) && conn_ && conn_->owner == this) {
      try_failed("tls: write failed");
    }
    return;
  }
  uv_buf_t bufs[2] = {
      uv_buf_init(reinterpret_cast<char*>(len_prefix_), 2),
      uv_buf_init(reinterpret_cast<char*>(wire_.data()), static_cast<unsigned>(wire_.size()))};
  conn_->write_req.data = conn_;
  auto* stream = reinterpret_cast<uv_stream_t*>(&conn_->h);
  int rc = uv_write(&conn_->write_req, stream, bufs, 2, on_write);
  if (rc == 0) {
    uv_read_stop(stream);  // a pooled connection was reading as idle
    rc = uv_read_start(stream, on_alloc, on_tcp_read);
  }
  if (rc != 0) try_failed(uv_strerror(rc));
}

void Exchange::on_write(uv_write_t* req, int status) {
  auto* c = static_cast<TcpConn*>(req->data);
  if (status == UV_ECANCELED || !c->owner) return;
  if (status != 0) c->owner->try_failed(uv_strerror(status));
}

void Exchange::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<TcpConn*>(h->data);
  if (!c->owner) {
    *buf = uv_buf_init(c->scratch, sizeof c->scratch);
    return;
  }
  size_t room = 0;
  uint8_t* p = c->owner->read_room(room);
  *buf = uv_buf_init(reinterpret_cast<char*>(p), static_cast<unsigned>(room));
}

uint8_t* Exchange::read_room(size_t& room) {
  // The length prefix first (with room for a small answer), then the whole message: the
  // buffer holds what arrives, not 64 KiB per query.
  size_t need = rlen_ >= 2 ? 2 + size_t(dns::get16(rbuf_.data())) : 2 + 512;
  if (need <= rlen_) need = rlen_ + 512;  // a message not ours is being skipped
  if (rbuf_.size() < need) rbuf_.resize(need);
  room = rbuf_.size() - rlen_;
  return rbuf_.data() + rlen_;
}

void Exchange::udp_failed(UdpSock* s, const char* reason) {
  if (sock_ == Sock::udp && usock_ == s) try_failed(reason);
}

void Exchange::on_tcp_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* c = static_cast<TcpConn*>(s->data);
  Exchange* ex = c->owner;
  if (!ex) return;
  if (n < 0) {
    ex->peer_closed_ = n == UV_EOF;
    ex->try_failed(n == UV_EOF ? "connection closed" : uv_strerror(static_cast<int>(n)));
    return;
  }
  ex->on_tcp_data(static_cast<size_t>(n));
}

void Exchange::on_tcp_data(size_t n) {
  rlen_ += n;
  // Messages are length-prefixed; one that does not match is skipped and reading goes on.
  while (rlen_ >= 2) {
    size_t mlen = dns::get16(rbuf_.data());
    if (rlen_ < mlen + 2) return;
    if (matches(rbuf_.data() + 2, mlen)) {
      answer_ = rbuf_.data() + 2;
      answer_len_ = mlen;
      complete();
      return;
    }
    std::memmove(rbuf_.data(), rbuf_.data() + 2 + mlen, rlen_ - 2 - mlen);
    rlen_ -= 2 + mlen;
  }
}

void Exchange::on_message(const uint8_t* msg, size_t len) {
  if (sock_ != Sock::udp || !matches(msg, len)) return;  // not ours: wait until the timeout
  answer_ = msg;
  answer_len_ = len;
  complete();
}

bool Exchange::matches(const uint8_t* msg, size_t len) const {
  if (len < dns::kHeaderSize) return false;
  dns::Header h = dns::Header::read(msg);
  if (h.id != id_ || !(h.flags & dns::flag::QR) || h.qdcount != 1) return false;
  return dns::first_question_is({msg, len}, qname_, qtype_, qclass_);
}

void Exchange::complete() {
  // Read straight into the client's context (no copy); a probe's into a local.
  dns::AnswerShape probe_shape;
  dns::AnswerShape& shape = pending_ ? pending_->fill_shape() : probe_shape;
  const char* fault = answer_fault({answer_, answer_len_}, dns::get16(wire_.data() + 2), shape);
  if (fault) {
    // What a client's parser would reject is this upstream's failure, not an answer.
    try_failed(fault, false);
    return;
  }
  if (probe_) {
    // Any answer, whatever its rcode, means the upstream is up.
    finished_ = true;
    uv_timer_stop(&timer_);
    Probe* p = probe_;
    probe_ = nullptr;
    if (park_connection()) {
      fw_->release(w_, this);
    } else if (close_socket()) {
      on_socket_closed();
    }
    p->done(true);
    return;
  }
  tap(true);
  // A truncated UDP answer to a client that can take more (TCP, prefer_udp): ask again
  // over TCP, same upstream.
  if (!tcp_ && (shape.hdr.flags & dns::flag::TC) && pending_->transport() != Transport::udp) {
    retry_tcp_ = true;
    uv_timer_stop(&timer_);
    if (close_socket()) on_socket_closed();
    return;
  }
  const uint16_t rc = shape.rcode;
  up_->responses[rc < 16 ? rc : 16].fetch_add(1, std::memory_order_relaxed);
  const uint64_t took_ns = QueryContext::now_ns() - try_start_ns_;
  up_->duration_ns_sum.fetch_add(took_ns, std::memory_order_relaxed);
  up_->duration_count.fetch_add(1, std::memory_order_relaxed);
  observe_request(up_->metrics, *up_, rc, double(took_ns) / 1e9, w_.index);
  if (!blk_->opts.failover_rcodes.empty() && fail_over(rc)) return;

  PendingQuery query = std::move(pending_);
  QueryContext& ctx = query.ctx();
  auto& resp = ctx.writable_response();
  resp.assign(answer_, answer_ + answer_len_);
  dns::put16(resp.data(), ctx.q().hdr.id);
  // The walk answer_fault made describes the copy: the server does not walk it again.
  shape.hdr.id = ctx.q().hdr.id;
  ctx.fill_shape();  // writable_response() took it for unread; it describes the copy
  finished_ = true;
  uv_timer_stop(&timer_);
  // Once released this exchange may serve the next block's query: keep what is needed.
  Forward* fw = fw_;
  size_t block = block_;
  Upstream* up = up_;
  if (park_connection()) {
    fw_->release(w_, this);
  } else if (close_socket()) {
    on_socket_closed();
  }  // else the close callback returns this exchange to the pool
  if (pkg::tracing(ctx)) {
    char rcb[16];
    pkg::note(
        ctx, "forward",
        up->to + " " + std::string(dns::rcode_name(ctx.shape().rcode, rcb)) +
            fmt::format(" in {:.3f}ms", double(QueryContext::now_ns() - ctx.start_ns()) / 1e6));
  }
  fw->finish(std::move(query), block);
}

void Exchange::tap(bool answered) {
  pkg::MessageTap* t = fw_->tap();
  if (!t || !pending_) return;
  pkg::ForwarderTry x;
  if (up_->addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&up_->addr);
    x.upstream_address = {a->sin6_addr.s6_addr, 16};
    x.upstream_port = ntohs(a->sin6_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&up_->addr);
    x.upstream_address = {reinterpret_cast<const uint8_t*>(&a->sin_addr), 4};
    x.upstream_port = ntohs(a->sin_port);
  }
  x.tcp = tcp_;
  // The try's start on the wall clock: now, less the time it has taken.
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  const uint64_t wall_ns = uint64_t(wall.tv_sec) * 1000000000u + uint64_t(wall.tv_nsec);
  x.query_ns = wall_ns - (QueryContext::now_ns() - try_start_ns_);
  x.query = wire_;
  if (answered) x.response = {answer_, answer_len_};
  t->tap_forwarder(pending_.ctx(), x);
}

bool Exchange::fail_over(uint16_t rcode) {
  const auto& codes = blk_->opts.failover_rcodes;
  // The last upstream's answer stands, whatever its rcode (CoreDNS's README).
  if (tried_ >= norder_ || std::find(codes.begin(), codes.end(), rcode) == codes.end()) {
    return false;
  }
  uv_timer_stop(&timer_);
  char rcb[16];
  last_error_ = up_->to + ": " + std::string(dns::rcode_name(rcode, rcb));
  if (park_connection()) {
    next_try();
  } else if (close_socket()) {
    on_socket_closed();
  }  // else the close callback goes on with the next try
  return true;
}

void Exchange::try_failed(const char* reason, bool network_error) {
  if (sock_ == Sock::none) return;
  uv_timer_stop(&timer_);
  // A pooled connection the upstream closed meanwhile: not the upstream's failure, try
  // again on a new connection (CoreDNS's ErrCachedClosed). A new connection it closed
  // before answering gets one more, too: a busy upstream sheds connections (unbound cuts
  // its idle timeout to 200 ms when its TCP slots run short), and CoreDNS would ask again
  // until its deadline; one retry a query does not spin on an upstream that always closes.
  bool closed_new = peer_closed_ && !reused_ && !closed_retried_;
  if (network_error && sock_ == Sock::tcp && rlen_ == 0 && (reused_ || closed_new)) {
    closed_retried_ |= closed_new;
    fresh_tcp_ = true;
    retry_tcp_ = true;
    close_socket();
    return;
  }
  if (probe_) {
    finished_ = true;
    Probe* p = probe_;
    probe_ = nullptr;
    if (close_socket()) on_socket_closed();
    p->done(false);
    return;
  }
  tap(false);
  last_error_.assign(up_->to);
  last_error_.append(": ");
  last_error_.append(reason);
  // Is it the upstream? Health checks from now until it answers (max_fails 0: never).
  fw_->health_check(w_, *blk_, *up_);
  bool closed = close_socket();  // else the next try starts when the socket is closed
  // The last try: answer now, from this I/O or timer callback. A reply queued from a close
  // callback would wait for the worker's next loop turn (its UDP flush runs before close
  // callbacks), which may be a long time on an idle server.
  if (!retry_tcp_ && out_of_tries()) {
    all_failed();
    return;
  }
  if (closed) on_socket_closed();
}

void Exchange::on_timer(uv_timer_t* t) {
  auto* ex = static_cast<Exchange*>(t->data);
  ex->timed_out_in_pass_ = true;
  ex->try_failed("i/o timeout", false);
}

bool Exchange::close_socket() {
  if (sock_ == Sock::none) return false;
  if (sock_ == Sock::tcp_wait) {
    sock_ = Sock::none;
    auto& q = w_.slots(up_).waiting;
    q.erase(std::remove(q.begin(), q.end(), this), q.end());
    return true;
  }
  if (sock_ == Sock::tcp) {
    closing_ = true;
    sock_ = Sock::none;
    TcpConn* c = conn_;
    conn_ = nullptr;
    c->close(this);
    return false;
  }
  if (sock_ == Sock::https) {
    sock_ = Sock::none;
    if (doh_req_) {
      // A try given up (timeout, shutdown): the request goes, its HTTP/2 connection stays.
      DohClient::Request* r = doh_req_;
      doh_req_ = nullptr;
      if (w_.doh) w_.doh->cancel(r);
    }
    return true;
  }
  sock_ = Sock::none;
  UdpSock* s = usock_;
  usock_ = nullptr;
  if (s) s->remove(this);  // a late answer to this ID is now dropped by the socket
  return true;
}

bool Exchange::park_connection() {
  // Only a connection with nothing unread can serve the next query.
  if (sock_ != Sock::tcp || rlen_ != answer_len_ + 2) return false;
  TcpConn* c = conn_;
  conn_ = nullptr;
  sock_ = Sock::none;
  --open_handles_;
  c->owner = nullptr;
  c->idle_since_ms = now_ms(w_.loop);
  if (c->ssl) {
    w_.idle_tcp.push_back(c);  // tls.cpp's reader handles idle connections too
    w_.tcp_room(c->up);
    return true;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&c->h);
  uv_read_stop(stream);
  uv_read_start(stream, on_alloc, TcpConn::on_idle_read);
  w_.idle_tcp.push_back(c);
  w_.tcp_room(c->up);
  return true;
}

void Exchange::on_conn_closed() {
  closing_ = false;
  if (--open_handles_ == 0 && dying_) {
    delete this;
    return;
  }
  on_socket_closed();
}

void Exchange::on_close(uv_handle_t* h) {
  auto* ex = static_cast<Exchange*>(h->data);
  if (--ex->open_handles_ == 0 && ex->dying_) {
    delete ex;
    return;
  }
  if (h != reinterpret_cast<uv_handle_t*>(&ex->timer_)) {
    ex->closing_ = false;
    ex->on_socket_closed();
  }
}

void Exchange::on_socket_closed() {
  if (dying_) return;
  if (finished_) {
    fw_->release(w_, this);
    return;
  }
  if (retry_tcp_) {
    retry_tcp_ = false;
    begin(true);
    return;
  }
  next_try();  // there is one: try_failed answered already otherwise
}

void Exchange::all_failed() {
  PendingQuery query = std::move(pending_);
  finished_ = true;
  uv_timer_stop(&timer_);
  fw_->blocks()[block_]->inflight.fetch_sub(1, std::memory_order_relaxed);
  std::string err = "plugin/forward: ";
  err += last_error_.empty() ? "no healthy proxies" : last_error_;
  // With a socket still closing, its close callback returns this exchange to the pool.
  if (!closing_) fw_->release(w_, this);
  query.fail(dns::rcode::SERVFAIL, err);
}

void Exchange::shutdown() {
  dying_ = true;
  uv_timer_stop(&timer_);
  if (pending_) {
    PendingQuery query = std::move(pending_);
    blk_->inflight.fetch_sub(1, std::memory_order_relaxed);
    query.fail(dns::rcode::SERVFAIL, "plugin/forward: server stopping");
  }
  close_socket();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
}

}  // namespace cxxdns::plugins::forward
