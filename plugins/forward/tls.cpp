#include "plugins/forward/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "plugins/forward/exchange.h"
#include "plugins/forward/tcp_conn.h"
#include "plugins/pkg/ssl_errors.h"

namespace cxxdns::plugins::forward {

using pkg::ssl_errors;

namespace {

// A TLS record on its way to the upstream; the bytes live until libuv has written them.
struct TlsWrite {
  uv_write_t req;
  TcpConn* conn;
  std::vector<char> data;
};

}  // namespace

SslCtxPtr make_tls_context(const std::vector<std::string>& files, std::string& err) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    err = "cannot create a TLS context: " + ssl_errors();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const std::string* ca = files.size() == 1 ? &files[0] : files.size() == 3 ? &files[2] : nullptr;
  if (files.size() >= 2) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), files[0].c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), files[1].c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      err = "cannot load the client certificate '" + files[0] + "' and key '" + files[1] +
            "': " + ssl_errors();
      return nullptr;
    }
  }
  if (ca) {
    if (SSL_CTX_load_verify_locations(ctx.get(), ca->c_str(), nullptr) != 1) {
      err = "cannot load the CA '" + *ca + "': " + ssl_errors();
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    err = "cannot load the system CA store: " + ssl_errors();
    return nullptr;
  }
  return ctx;
}

std::string tls_error_text(SSL* ssl, int ret) {
  long v = SSL_get_verify_result(ssl);
  if (v != X509_V_OK) {
    return std::string("tls: certificate verify failed: ") + X509_verify_cert_error_string(v);
  }
  int e = SSL_get_error(ssl, ret);
  std::string s = ssl_errors();
  if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && s.empty()))
    return "tls: connection closed";
  return "tls: " + (s.empty() ? std::string("handshake failed") : s);
}

TcpConn::~TcpConn() {
  if (ssl) SSL_free(ssl);  // frees both BIOs
}

bool TcpConn::tls_start(SSL_CTX* ctx, const std::string& servername) {
  ssl = SSL_new(ctx);
  if (!ssl) return false;
  rbio = BIO_new(BIO_s_mem());
  wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, rbio, wbio);
  SSL_set_connect_state(ssl);
  if (!servername.empty()) {
    SSL_set_tlsext_host_name(ssl, servername.c_str());
    SSL_set1_host(ssl, servername.c_str());
  } else {
    // No name to check: the certificate must be for the upstream's IP address.
    X509_VERIFY_PARAM* p = SSL_get0_param(ssl);
    if (up->addr.ss_family == AF_INET) {
      auto* a = reinterpret_cast<const sockaddr_in*>(&up->addr);
      X509_VERIFY_PARAM_set1_ip(p, reinterpret_cast<const unsigned char*>(&a->sin_addr), 4);
    } else {
      auto* a = reinterpret_cast<const sockaddr_in6*>(&up->addr);
      X509_VERIFY_PARAM_set1_ip(p, reinterpret_cast<const unsigned char*>(&a->sin6_addr), 16);
    }
  }
  tls_in.resize(16 * 1024 + 512);
  auto* stream = reinterpret_cast<uv_stream_t*>(&h);
  if (uv_read_start(stream, on_tls_alloc, on_tls_read) != 0) return false;
  tls_pump();
  return true;
}

void TcpConn::on_tls_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<TcpConn*>(h->data);
  *buf = uv_buf_init(c->tls_in.data(), static_cast<unsigned>(c->tls_in.size()));
}

void TcpConn::on_tls_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
  auto* c = static_cast<TcpConn*>(s->data);
  if (n == 0 || c->closing) return;
  if (n < 0) {
    c->fail(n == UV_EOF ? "connection closed" : uv_strerror(static_cast<int>(n)));
    return;
  }
  BIO_write(c->rbio, c->tls_in.data(), static_cast<int>(n));
  c->tls_pump();
}

void TcpConn::fail(const std::string& reason) {
  if (closing) return;
  if (owner) {
    owner->try_failed(reason.c_str());
    return;
  }
  // Idle in the pool: the connection is no good any more.
  w->drop_idle(this);
  close(nullptr);
}

void TcpConn::tls_pump() {
  ERR_clear_error();
  if (!handshaken && !tls_handshake()) return;
  // Answers (and TLS 1.3 session tickets, which SSL_read consumes quietly).
  bool more = true;
  while (more && !closing) more = tls_read_once();
}

bool TcpConn::tls_handshake() {
  int r = SSL_do_handshake(ssl);
  if (!tls_flush()) return false;
  if (r != 1) {
    if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ) fail(tls_error_text(ssl, r));
    return false;
  }
  handshaken = true;
  if (owner) owner->send_tcp();
  return !closing;
}

bool TcpConn::tls_read_once() {
  int r;
  if (owner) {
    Exchange* ex = owner;
    size_t room = 0;
    uint8_t* into = ex->read_room(room);
    r = SSL_read(ssl, into, static_cast<int>(room));
    if (r > 0) {
      ex->on_tcp_data(static_cast<size_t>(r));
      return true;
    }
  } else {
    char junk[64];
    r = SSL_read(ssl, junk, sizeof junk);
    if (r > 0) {
      fail("unexpected data");  // bytes nobody asked for
      return false;
    }
  }
  if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ) {
    tls_flush();
  } else {
    fail(tls_error_text(ssl, r));
  }
  return false;
}

bool TcpConn::tls_send(const uint8_t* data, size_t len) {
  ERR_clear_error();
  // Memory BIOs grow as needed, so one SSL_write takes it all.
  if (SSL_write(ssl, data, static_cast<int>(len)) <= 0) return false;
  return tls_flush();
}

bool TcpConn::tls_flush() {
  auto* stream = reinterpret_cast<uv_stream_t*>(&h);
  while (size_t pending = BIO_ctrl_pending(wbio)) {
    auto* wr = new TlsWrite;
    wr->data.resize(pending);
    BIO_read(wbio, wr->data.data(), static_cast<int>(pending));
    wr->req.data = wr;
    wr->conn = this;
    uv_buf_t b = uv_buf_init(wr->data.data(), static_cast<unsigned>(pending));
    int rc = uv_write(&wr->req, stream, &b, 1, [](uv_write_t* req, int status) {
      auto* w = static_cast<TlsWrite*>(req->data);
      TcpConn* c = w->conn;
      delete w;
      if (status != 0 && status != UV_ECANCELED) c->fail(uv_strerror(status));
    });
    if (rc != 0) {
      delete wr;
      fail(uv_strerror(rc));
      return false;
    }
  }
  return true;
}

}  // namespace cxxdns::plugins::forward
