// One exchange with upstreams: a client query tried on upstreams in turn (failover), or a
// health check on one upstream. Each try has a random ID; over UDP it waits on a pooled
// connected socket (udp_pool.h), over TCP/TLS on a pooled connection, over HTTPS through the
// worker's DoH client (doh_client.h); answers whose ID or question do not match are ignored.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/dns/name.h"
#include "plugins/forward/forward.h"
#include "plugins/forward/tcp_conn.h"

namespace cxxdns::plugins::forward {

// A health check of one upstream, run from a timer on worker 0.
struct Probe {
  Forward* fw = nullptr;
  Forward::Worker* worker = nullptr;
  Block* block = nullptr;
  Upstream* up = nullptr;
  uv_timer_t timer;
  bool in_flight = false;
  bool running = false;        // checking every interval until the upstream answers
  std::vector<uint8_t> query;  // `. IN NS` (or the `domain` name), RD unless no_rec
  dns::Name qname;
  void done(bool ok);
};

class Exchange {
 public:
  explicit Exchange(Forward::Worker& w);
  // Starts a client query on `block` with upstreams tried in `order`.
  void start_query(Forward* fw, PendingQuery query, size_t block, const uint8_t* order, size_t n);
  void start_probe(Probe* probe);
  // This try waited for a TCP connection to its upstream, and one is free or may be opened.
  void resume_tcp();
  // Frees what a large answer grew, before the exchange waits in the pool.
  void trim() {
    if (rbuf_.capacity() > 4096) std::vector<uint8_t>().swap(rbuf_);
  }
  // Closes the timer; the object deletes itself (a pool with enough exchanges).
  void retire();
  // Answers the client with SERVFAIL (server stopping) and closes the handles; the
  // object deletes itself once they are closed.
  void shutdown();
  // Called when a TcpConn this exchange closed is gone.
  void on_conn_closed();
  // From the UDP socket `s`: a datagram with this try's ID, or the socket's error.
  void on_message(const uint8_t* msg, size_t len);
  void udp_failed(UdpSock* s, const char* reason);

 private:
  enum class Sock { none, udp, tcp, tcp_wait, https };

  void begin(bool tcp);
  void begin_udp(uint64_t now);
  void begin_tcp(uint64_t now);
  void begin_https();
  static void on_doh_done(void* owner, const uint8_t* body, size_t len, bool reused,
                          const char* error);
  uint64_t expire_ms() const;
  // The try's connection: a pooled one (c) or a new one (c null).
  void take_tcp_slot(TcpConn* c);
  void next_try();
  // No try is left: the deadline passed, or a pass over the upstreams ended without a
  // timeout (only a timeout, a lost packet perhaps, is worth asking the same ones again).
  bool out_of_tries() const;
  // The answer in answer_ is one to pass over (`failover RCODE`) with upstreams left.
  bool fail_over(uint16_t rcode);
  // Room in rbuf_ for what the TCP stream brings next, grown to the message's length.
  uint8_t* read_room(size_t& room);
  // network_error: a reset or refused connection, not a timeout (a reused TCP connection
  // the upstream had closed is then retried on a new one).
  void try_failed(const char* reason, bool network_error = true);
  bool park_connection();  // after a good TCP answer: back to the pool; false if closed
  void connect_tcp();
  // True when the socket is let go at once (UDP): the caller then runs on_socket_closed.
  bool close_socket();
  void on_socket_closed();
  void complete();  // a valid answer is in rbuf_[0..answer_len_)
  // This try to the block's dnstap, with the answer when `answered` (a client query only).
  void tap(bool answered);
  void all_failed();
  void send_tcp();
  void on_tcp_data(size_t n);
  bool matches(const uint8_t* msg, size_t len) const;

  static void on_timer(uv_timer_t* t);
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_connect(uv_connect_t* req, int status);
  friend struct TcpConn;
  static void on_write(uv_write_t* req, int status);
  static void on_tcp_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_close(uv_handle_t* h);

  Forward::Worker& w_;
  Forward* fw_ = nullptr;
  PendingQuery pending_;  // empty for a probe, and once handed back
  Probe* probe_ = nullptr;
  size_t block_ = 0;
  Block* blk_ = nullptr;
  uint8_t order_[kMaxUpstreams];
  size_t norder_ = 0, tried_ = 0;
  uint32_t pass_ = 0;               // passes over order_ so far
  bool timed_out_in_pass_ = false;  // a try of this pass timed out
  Upstream* up_ = nullptr;
  bool tcp_ = false;
  bool retry_tcp_ = false;  // the next try is the same upstream over TCP (truncated answer)
  bool finished_ = false;   // the exchange is over; the socket close returns it to the pool
  bool dying_ = false;
  bool closing_ = false;         // a socket's uv_close is pending
  bool reused_ = false;          // this try's TCP connection came from the pool
  bool fresh_tcp_ = false;       // the next TCP try must not reuse a connection
  bool peer_closed_ = false;     // this try's connection was closed by the upstream
  bool closed_retried_ = false;  // the query's one retry after a new connection was closed
  int open_handles_ = 0;
  uint64_t deadline_ms_ = 0, try_start_ns_ = 0;
  uint16_t id_ = 0;
  dns::Name qname_;  // lower case, for matching answers
  uint16_t qtype_ = 0, qclass_ = 0;
  std::vector<uint8_t> wire_;  // the query as sent, its ID the try's
  std::string last_error_;

  Sock sock_ = Sock::none;
  uv_timer_t timer_;
  UdpSock* usock_ = nullptr;
  TcpConn* conn_ = nullptr;
  DohClient::Request* doh_req_ = nullptr;
  uint8_t len_prefix_[2];
  // TCP stream bytes, grown to the message being read and freed when large (UDP answers are
  // read into the worker's buffer).
  std::vector<uint8_t> rbuf_;
  size_t rlen_ = 0;
  size_t answer_len_ = 0;
  const uint8_t* answer_ = nullptr;  // in rbuf_ (TCP) or the worker's UDP buffer
};

}  // namespace cxxdns::plugins::forward
