#include "plugins/forward/exchange.h"

#include <cstring>

#include "core/dns/message.h"

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
  // Room for the largest UDP datagram or TCP message plus its length prefix.
  rbuf_.resize(65535 + 2);
}

void Exchange::start_query(Forward* fw, QueryContext& ctx, size_t block, const uint8_t* order,
                           size_t n) {
  fw_ = fw;
  ctx_ = &ctx;
  probe_ = nullptr;
  block_ = block;
  blk_ = fw->blocks()[block].get();
  std::memcpy(order_, order, n);
  norder_ = n;
  tried_ = 0;
  retry_tcp_ = false;
  finished_ = false;
  last_error_.clear();
  qname_ = ctx.q().qname_lower;
  qtype_ = ctx.q().qtype;
  qclass_ = ctx.q().qclass;
  auto wire = ctx.query_wire();
  query_.assign(wire.begin(), wire.end());
  deadline_ms_ = now_ms(w_.loop) + kOverallTimeoutMs;
  next_try();
}

void Exchange::start_probe(Probe* probe) {
  fw_ = probe->fw;
  ctx_ = nullptr;
  probe_ = probe;
  blk_ = probe->block;
  norder_ = 0;
  tried_ = 0;
  retry_tcp_ = false;
  finished_ = false;
  qname_ = probe->qname;
  qname_.to_lower();
  qtype_ = dns::type::NS;
  qclass_ = dns::cls::IN;
  query_ = probe->query;
  up_ = probe->up;
  deadline_ms_ = now_ms(w_.loop) + kHealthTimeoutMs;
  begin(blk_->opts.force_tcp);
}

void Exchange::next_try() {
  if (tried_ >= norder_ || now_ms(w_.loop) >= deadline_ms_) {
    all_failed();
    return;
  }
  up_ = blk_->opts.upstreams[order_[tried_++]].get();
  bool tcp =
      blk_->opts.force_tcp || (!blk_->opts.prefer_udp && ctx_->transport() == Transport::tcp);
  begin(tcp);
}

void Exchange::begin(bool tcp) {
  tcp_ = tcp;
  // A fresh random ID per try: an answer to an earlier try, or a spoofed one, is ignored.
  id_ = static_cast<uint16_t>(w_.rng());
  dns::put16(query_.data(), id_);
  try_start_ns_ = QueryContext::now_ns();
  rlen_ = 0;
  if (ctx_) up_->requests.fetch_add(1, std::memory_order_relaxed);

  uint64_t now = now_ms(w_.loop);
  uint64_t left = deadline_ms_ > now ? deadline_ms_ - now : 1;
  uv_timer_start(&timer_, on_timer,
                 std::min<uint64_t>(left, probe_ ? kHealthTimeoutMs : kTryTimeoutMs), 0);

  const sockaddr* addr = reinterpret_cast<const sockaddr*>(&up_->addr);
  if (!tcp) {
    uv_udp_init(w_.loop, &udp_);
    udp_.data = this;
    sock_ = Sock::udp;
    ++open_handles_;
    int rc = uv_udp_connect(&udp_, addr);
    if (rc == 0) rc = uv_udp_recv_start(&udp_, on_alloc, on_udp_read);
    if (rc == 0) {
      uv_buf_t b =
          uv_buf_init(reinterpret_cast<char*>(query_.data()), static_cast<unsigned>(query_.size()));
      int sent = uv_udp_try_send(&udp_, &b, 1, nullptr);
      if (sent < 0) rc = sent;
    }
    if (rc != 0) try_failed(uv_strerror(rc));
    return;
  }
  uv_tcp_init(w_.loop, &tcp_h_);
  tcp_h_.data = this;
  sock_ = Sock::tcp;
  ++open_handles_;
  connect_req_.data = this;
  int rc = uv_tcp_connect(&connect_req_, &tcp_h_, addr, on_connect);
  if (rc != 0) try_failed(uv_strerror(rc));
}

void Exchange::on_connect(uv_connect_t* req, int status) {
  auto* ex = static_cast<Exchange*>(req->data);
  if (status == UV_ECANCELED || ex->sock_ != Sock::tcp) return;
  if (status != 0) {
    ex->try_failed(uv_strerror(status));
    return;
  }
  ex->send_tcp();
}

void Exchange::send_tcp() {
  dns::put16(len_prefix_, static_cast<uint16_t>(query_.size()));
  uv_buf_t bufs[2] = {
      uv_buf_init(reinterpret_cast<char*>(len_prefix_), 2),
      uv_buf_init(reinterpret_cast<char*>(query_.data()), static_cast<unsigned>(query_.size()))};
  write_req_.data = this;
  int rc = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_h_), bufs, 2, on_write);
  if (rc == 0) rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_h_), on_alloc, on_tcp_read);
  if (rc != 0) try_failed(uv_strerror(rc));
}

void Exchange::on_write(uv_write_t* req, int status) {
  auto* ex = static_cast<Exchange*>(req->data);
  if (status == UV_ECANCELED || ex->sock_ != Sock::tcp) return;
  if (status != 0) ex->try_failed(uv_strerror(status));
}

void Exchange::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* ex = static_cast<Exchange*>(h->data);
  if (ex->sock_ == Sock::udp) {
    *buf = uv_buf_init(reinterpret_cast<char*>(ex->rbuf_.data()), 65535);
  } else {
    *buf = uv_buf_init(reinterpret_cast<char*>(ex->rbuf_.data() + ex->rlen_),
                       static_cast<unsigned>(ex->rbuf_.size() - ex->rlen_));
  }
}

void Exchange::on_udp_read(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr*, unsigned) {
  auto* ex = static_cast<Exchange*>(h->data);
  if (ex->sock_ != Sock::udp) return;
  if (n < 0) {
    // A connected UDP socket reports the upstream's ICMP port unreachable here.
    ex->try_failed(uv_strerror(static_cast<int>(n)));
    return;
  }
  if (n == 0) return;
  ex->on_message(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n));
}

void Exchange::on_tcp_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* ex = static_cast<Exchange*>(s->data);
  if (ex->sock_ != Sock::tcp) return;
  if (n < 0) {
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
    if (rlen_ < mlen + 2) {
      if (rlen_ == rbuf_.size()) try_failed("message too large");
      return;
    }
    if (matches(rbuf_.data() + 2, mlen)) {
      answer_off_ = 2;
      answer_len_ = mlen;
      complete();
      return;
    }
    std::memmove(rbuf_.data(), rbuf_.data() + 2 + mlen, rlen_ - 2 - mlen);
    rlen_ -= 2 + mlen;
  }
}

void Exchange::on_message(const uint8_t* msg, size_t len) {
  if (!matches(msg, len)) return;  // not ours: keep waiting until the timeout
  answer_off_ = static_cast<size_t>(msg - rbuf_.data());
  answer_len_ = len;
  complete();
}

bool Exchange::matches(const uint8_t* msg, size_t len) const {
  if (len < dns::kHeaderSize) return false;
  dns::Header h = dns::Header::read(msg);
  if (h.id != id_ || !(h.flags & dns::flag::QR) || h.qdcount != 1) return false;
  std::span<const uint8_t> m(msg, len);
  size_t off = dns::kHeaderSize;
  dns::Name n;
  if (!dns::read_name(m, off, n) || off + 4 > len) return false;
  n.to_lower();
  return n == qname_ && dns::get16(msg + off) == qtype_ && dns::get16(msg + off + 2) == qclass_;
}

void Exchange::complete() {
  const uint8_t* msg = rbuf_.data() + answer_off_;
  dns::Header h = dns::Header::read(msg);
  if (probe_) {
    // Any answer, whatever its rcode, means the upstream is up.
    finished_ = true;
    uv_timer_stop(&timer_);
    Probe* p = probe_;
    probe_ = nullptr;
    close_socket();
    p->done(true);
    return;
  }
  // A truncated UDP answer to a client that can take more (TCP, prefer_udp): ask again
  // over TCP, same upstream.
  if (!tcp_ && (h.flags & dns::flag::TC) && ctx_->transport() != Transport::udp) {
    retry_tcp_ = true;
    uv_timer_stop(&timer_);
    close_socket();
    return;
  }
  uint8_t rc = h.rcode();
  up_->responses[rc].fetch_add(1, std::memory_order_relaxed);
  up_->duration_ns_sum.fetch_add(QueryContext::now_ns() - try_start_ns_, std::memory_order_relaxed);
  up_->duration_count.fetch_add(1, std::memory_order_relaxed);

  QueryContext* ctx = ctx_;
  auto& resp = ctx->response();
  resp.assign(msg, msg + answer_len_);
  dns::put16(resp.data(), ctx->q().hdr.id);
  ctx_ = nullptr;
  finished_ = true;
  uv_timer_stop(&timer_);
  close_socket();  // returns this exchange to the pool once closed
  fw_->finish(*ctx, block_);
}

void Exchange::try_failed(const char* reason) {
  if (sock_ == Sock::none) return;
  uv_timer_stop(&timer_);
  if (probe_) {
    finished_ = true;
    Probe* p = probe_;
    probe_ = nullptr;
    close_socket();
    p->done(false);
    return;
  }
  last_error_.assign(up_->to);
  last_error_.append(": ");
  last_error_.append(reason);
  close_socket();  // the next try starts when the socket is closed
  // The last try: answer now, from this I/O or timer callback. A reply queued from a close
  // callback would wait for the worker's next loop turn (its UDP flush runs before close
  // callbacks), which may be a long time on an idle server.
  if (!retry_tcp_ && (tried_ >= norder_ || now_ms(w_.loop) >= deadline_ms_)) all_failed();
}

void Exchange::on_timer(uv_timer_t* t) {
  static_cast<Exchange*>(t->data)->try_failed("i/o timeout");
}

void Exchange::close_socket() {
  if (sock_ == Sock::none) return;
  uv_handle_t* h = sock_ == Sock::udp ? reinterpret_cast<uv_handle_t*>(&udp_)
                                      : reinterpret_cast<uv_handle_t*>(&tcp_h_);
  sock_ = Sock::none;
  closing_ = true;
  uv_close(h, on_close);
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
  QueryContext* ctx = ctx_;
  ctx_ = nullptr;
  finished_ = true;
  uv_timer_stop(&timer_);
  fw_->blocks()[block_]->inflight.fetch_sub(1, std::memory_order_relaxed);
  std::string err = "plugin/forward: ";
  err += last_error_.empty() ? "no healthy proxies" : last_error_;
  // With a socket still closing, its close callback returns this exchange to the pool.
  if (!closing_) fw_->release(w_, this);
  ctx->fail(dns::rcode::SERVFAIL, err);
}

void Exchange::shutdown() {
  dying_ = true;
  uv_timer_stop(&timer_);
  if (ctx_) {
    QueryContext* ctx = ctx_;
    ctx_ = nullptr;
    blk_->inflight.fetch_sub(1, std::memory_order_relaxed);
    ctx->fail(dns::rcode::SERVFAIL, "plugin/forward: server stopping");
  }
  close_socket();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
}

}  // namespace cxxdns::plugins::forward
