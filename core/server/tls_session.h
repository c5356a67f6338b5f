// One server-side TLS session over memory BIOs: the connection's loop moves ciphertext
// between the socket and the session, so TLS needs no thread and no blocking call. What the
// session has to send (handshake records, encrypted answers, alerts) waits in its output
// until taken.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace cxxdns {

class TlsSession {
 public:
  explicit TlsSession(ssl_ctx_st* ctx);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext from the client; the plaintext it carries is appended to `plain`. False when
  // the session is over (a handshake failure, a bad record, the client's close_notify): the
  // connection closes once the output (an alert) is sent.
  bool receive(std::span<const uint8_t> cipher, std::vector<uint8_t>& plain);
  // Encrypts `a` then `b` into the output. False when the session cannot send.
  bool send(std::span<const uint8_t> a, std::span<const uint8_t> b = {});
  // The ciphertext waiting to go out, and taking it.
  std::span<const uint8_t> output() const;
  void consume_output();

  bool handshake_done() const;
  // The protocol ALPN chose ("dot", "h2", "http/1.1"), empty when none.
  std::string_view alpn() const;
  // Queues close_notify in the output.
  void close();

 private:
  void drain_output();
  ssl_st* ssl_ = nullptr;
  void* rbio_ = nullptr;  // BIO*, owned by ssl_
  void* wbio_ = nullptr;
  std::vector<uint8_t> out_;
};

}  // namespace cxxdns
