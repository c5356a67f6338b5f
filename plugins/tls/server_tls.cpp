#include "plugins/tls/server_tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "plugins/pkg/ssl_errors.h"

namespace cxxdns::plugins::tls {

namespace {

// The queued OpenSSL errors; a failure that queued none still says so.
std::string ssl_errors() {
  std::string out = pkg::ssl_errors();
  return out.empty() ? "unknown error" : out;
}

// ALPN protocol lists in wire form (length-prefixed names).
constexpr unsigned char kDot[] = {3, 'd', 'o', 't'};
constexpr unsigned char kDoh[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
// gRPC is HTTP/2 only (CoreDNS's grpc server sets NextProtos to h2 alone).
constexpr unsigned char kGrpc[] = {2, 'h', '2'};

// The server's first protocol the client also offers; a client that offers none of them
// goes on without ALPN (a DoH client without ALPN gets HTTP/1.1).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned inlen, void* arg) {
  const auto* ours = static_cast<const unsigned char*>(arg);
  const size_t ours_len = ours == kDot ? sizeof kDot : ours == kGrpc ? sizeof kGrpc : sizeof kDoh;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, ours, static_cast<unsigned>(ours_len), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// Go's RequestClientCert and RequireAnyClientCert: a certificate is asked for (and, for
// the second, required) but not verified.
int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

void set_client_auth(SSL_CTX* ctx, const TlsOptions& o) {
  switch (o.client_auth) {
    case ClientAuth::nocert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::request:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
      break;
    case ClientAuth::require:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
      break;
    case ClientAuth::verify_if_given:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::require_and_verify:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
}

// `keylog FILE`: each secret line OpenSSL gives (the NSS key log format Go's KeyLogWriter
// writes, that Wireshark reads) is appended with one write(), so lines from the workers'
// threads never interleave (O_APPEND). The file descriptor rides in the context's app data.
void write_keylog(const SSL* ssl, const char* line) {
  const int fd =
      static_cast<int>(reinterpret_cast<intptr_t>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl))));
  std::string out(line);
  out.push_back('\n');
  // A lost line only makes a capture harder to read: nothing to do about a failed write.
  [[maybe_unused]] const ssize_t n = write(fd, out.data(), out.size());
}

int open_keylog(const std::string& path) {
  if (path.empty()) return -1;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("could not open the keylog file '" + path +
                             "': " + std::strerror(errno));
  }
  return fd;
}

SSL_CTX* make_context(const TlsOptions& o, const unsigned char* alpn, int keylog_fd) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) throw std::runtime_error("cannot create a TLS context: " + ssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // TLS 1.2: ECDHE with AEAD ciphers only, as CoreDNS's list; TLS 1.3 has only such.
  SSL_CTX_set_cipher_list(ctx,
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  // Resumed sessions must come from this server (OpenSSL refuses them without an id
  // context once client certificates are asked for).
  static constexpr unsigned char kSessionContext[] = "cxxdns";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1) {
    std::string e = ssl_errors();
    SSL_CTX_free(ctx);
    throw std::runtime_error("could not load TLS cert '" + o.cert + "': " + e);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    std::string e = ssl_errors();
    SSL_CTX_free(ctx);
    throw std::runtime_error("could not load TLS key '" + o.key + "': " + e);
  }
  if (!o.ca.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca.c_str());
    if (!names || SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1) {
      std::string e = ssl_errors();
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      SSL_CTX_free(ctx);
      throw std::runtime_error("could not read root certs '" + o.ca + "': " + e);
    }
    SSL_CTX_set_client_CA_list(ctx, names);
  } else {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  set_client_auth(ctx, o);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, const_cast<unsigned char*>(alpn));
  if (keylog_fd >= 0) {
    SSL_CTX_set_app_data(ctx, reinterpret_cast<void*>(static_cast<intptr_t>(keylog_fd)));
    SSL_CTX_set_keylog_callback(ctx, write_keylog);
  }
  return ctx;
}

}  // namespace

ServerTls::ServerTls(const TlsOptions& o) : keylog_fd_(open_keylog(o.keylog)) {
  try {
    dot_.reset(make_context(o, kDot, keylog_fd_));
    doh_.reset(make_context(o, kDoh, keylog_fd_));
    grpc_.reset(make_context(o, kGrpc, keylog_fd_));
  } catch (...) {
    if (keylog_fd_ >= 0) close(keylog_fd_);
    throw;
  }
}

ServerTls::~ServerTls() {
  dot_.reset();
  doh_.reset();
  grpc_.reset();
  if (keylog_fd_ >= 0) close(keylog_fd_);
}

SSL_CTX* ServerTls::server_context(ListenerTransport t) const {
  switch (t) {
    case ListenerTransport::https:
      return doh_.get();
    case ListenerTransport::grpc:
      return grpc_.get();
    case ListenerTransport::dns:
    case ListenerTransport::tls:
      break;
  }
  return dot_.get();
}

}  // namespace cxxdns::plugins::tls
