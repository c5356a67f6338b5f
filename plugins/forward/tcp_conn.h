// The pool of upstream TCP connections of a worker.
#pragma once

#include <uv.h>

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/forward/forward.h"

namespace cxxdns::plugins::forward {

// A TCP connection to an upstream, kept open after a good answer and reused by later
// tries to the same upstream until it has been idle for `expire` (CoreDNS's connection
// cache). Owned by the worker's pool while idle, by one try while in use.
struct TcpConn {
  uv_tcp_t h;
  uv_connect_t connect_req;
  uv_write_t write_req;
  Forward::Worker* w = nullptr;
  Upstream* up = nullptr;
  Exchange* owner = nullptr;   // the try using it; null while idle
  Exchange* notify = nullptr;  // told when the close it asked for is done
  uint64_t idle_since_ms = 0;
  char scratch[64];  // reads while idle (anything then closes the connection)
  bool closing = false;

  // tls:// upstreams (tls.cpp): the session over memory BIOs, fed from tls_in.
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // ciphertext from the upstream
  BIO* wbio = nullptr;  // ciphertext to the upstream
  bool handshaken = false;
  std::vector<char> tls_in;

  ~TcpConn();
  // After the TCP connect: starts the handshake; the owner's send_tcp runs when it is done.
  bool tls_start(SSL_CTX* ctx, const std::string& servername);
  bool tls_send(const uint8_t* data, size_t len);
  bool tls_flush();
  // Moves the session on after bytes arrived (or at the start): the handshake, then answers.
  void tls_pump();
  // One step of the handshake; true once it is done and the connection is still open.
  bool tls_handshake();
  // One SSL_read into the owner's buffer (or, idle, of bytes nobody asked for); true when
  // more may follow.
  bool tls_read_once();
  // The owner's try fails, or an idle connection leaves the pool and closes.
  void fail(const std::string& reason);
  static void on_tls_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_tls_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);

  static void on_close(uv_handle_t* h);
  static void on_idle_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  void close(Exchange* notify_when_closed);
};

}  // namespace cxxdns::plugins::forward
