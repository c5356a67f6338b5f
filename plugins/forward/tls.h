// DNS over TLS to upstreams (tls://): an OpenSSL client context per `forward` directive, and
// the TLS state a pooled TcpConn carries. The TLS runs over memory BIOs: libuv moves the
// ciphertext, OpenSSL never touches the socket, so nothing blocks the worker's loop.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace cxxdns::plugins::forward {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A client context for `tls [CERT KEY CA]`, as CoreDNS's tls.NewTLSConfigFromArgs: no files,
// the system's CAs; CA; CERT KEY (a client certificate, system CAs); CERT KEY CA. The server
// certificate is always verified. Null with `err` set when a file cannot be loaded.
SslCtxPtr make_tls_context(const std::vector<std::string>& files, std::string& err);

// Why the handshake of `ssl` failed, for the error log ("certificate verify failed:
// hostname mismatch").
std::string tls_error_text(SSL* ssl, int ret);

}  // namespace cxxdns::plugins::forward
