#include "core/server/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace cxxdns {

namespace {
BIO* bio(void* p) {
  return static_cast<BIO*>(p);
}
// Plaintext is read from the session this much at a time (a TLS record's most), into a
// buffer of the thread's, and only what came is appended to the connection's bytes.
constexpr size_t kPlainChunk = 16 * 1024;
thread_local uint8_t t_plain[kPlainChunk];
// An answer is encrypted in one record with its prefix or HTTP head: they are put together
// here first (two SSL_write calls would make two records, each with its overhead).
thread_local std::vector<uint8_t> t_joined;
}  // namespace

TlsSession::TlsSession(ssl_ctx_st* ctx) : ssl_(SSL_new(ctx)) {
  if (!ssl_) return;
  BIO* r = BIO_new(BIO_s_mem());
  BIO* w = BIO_new(BIO_s_mem());
  // An empty memory BIO means "no data yet", not the end of the stream.
  BIO_set_mem_eof_return(r, -1);
  SSL_set_bio(ssl_, r, w);
  rbio_ = r;
  wbio_ = w;
  SSL_set_accept_state(ssl_);
  // An idle connection gives its read and write buffers back (about 34 KB).
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
}

TlsSession::~TlsSession() {
  if (ssl_) SSL_free(ssl_);  // and both BIOs
}

bool TlsSession::receive(std::span<const uint8_t> cipher, std::vector<uint8_t>& plain) {
  if (!ssl_) return false;
  ERR_clear_error();
  while (!cipher.empty()) {
    int n = BIO_write(bio(rbio_), cipher.data(), static_cast<int>(cipher.size()));
    if (n <= 0) return false;
    cipher = cipher.subspan(static_cast<size_t>(n));
  }
  bool ok = true;
  for (;;) {
    int n = SSL_read(ssl_, t_plain, static_cast<int>(kPlainChunk));
    if (n > 0) {
      plain.insert(plain.end(), t_plain, t_plain + n);
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    // WANT_READ: all there is has been read (or the handshake waits for the client).
    ok = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
    break;
  }
  ERR_clear_error();
  drain_output();
  return ok;
}

bool TlsSession::send(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (!ssl_ || !SSL_is_init_finished(ssl_)) return false;
  ERR_clear_error();
  std::span<const uint8_t> whole = a;
  if (!a.empty() && !b.empty()) {
    t_joined.assign(a.begin(), a.end());
    t_joined.insert(t_joined.end(), b.begin(), b.end());
    whole = t_joined;
  } else if (a.empty()) {
    whole = b;
  }
  // A memory BIO takes everything: SSL_write writes it whole or fails.
  if (!whole.empty() && SSL_write(ssl_, whole.data(), static_cast<int>(whole.size())) <= 0) {
    ERR_clear_error();
    return false;
  }
  if (t_joined.capacity() > 64 * 1024) std::vector<uint8_t>().swap(t_joined);
  drain_output();
  return true;
}

void TlsSession::drain_output() {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio(wbio_), &data);
  if (n <= 0) return;
  out_.insert(out_.end(), reinterpret_cast<uint8_t*>(data), reinterpret_cast<uint8_t*>(data) + n);
  (void)BIO_reset(bio(wbio_));
}

std::span<const uint8_t> TlsSession::output() const {
  return out_;
}

void TlsSession::consume_output() {
  out_.clear();
  if (out_.capacity() > 64 * 1024) std::vector<uint8_t>().swap(out_);
}

bool TlsSession::handshake_done() const {
  return ssl_ && SSL_is_init_finished(ssl_);
}

std::string_view TlsSession::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  if (ssl_) SSL_get0_alpn_selected(ssl_, &p, &len);
  return p ? std::string_view(reinterpret_cast<const char*>(p), len) : std::string_view();
}

void TlsSession::close() {
  if (!ssl_ || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  drain_output();
}

}  // namespace cxxdns
