// The TLS a `tls CERT KEY [CA]` line gives its server block: one OpenSSL server context per
// listener transport (their ALPN differ), TLS 1.2 at least, with the client authentication
// `client_auth` asks for.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "core/plugin/transport_security.h"

namespace cxxdns::plugins::tls {

// Go's tls.ClientAuthType values, by their Corefile names.
enum class ClientAuth { nocert, request, require, verify_if_given, require_and_verify };

struct TlsOptions {
  std::string cert;
  std::string key;
  std::string ca;  // empty: the system's CAs verify client certificates
  ClientAuth client_auth = ClientAuth::nocert;
  std::string keylog;  // `keylog FILE`: TLS secrets appended there, NSS key log format
};

class ServerTls final : public TransportSecurity {
 public:
  // Loads the certificate, key and CA and opens the keylog file; throws std::runtime_error
  // saying which file failed.
  explicit ServerTls(const TlsOptions& o);
  ~ServerTls() override;
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;
  SSL_CTX* server_context(ListenerTransport t) const override;

 private:
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
  int keylog_fd_ = -1;  // opened before the contexts, whose callback writes to it
  CtxPtr dot_;
  CtxPtr doh_;
  CtxPtr grpc_;
};

}  // namespace cxxdns::plugins::tls
