// DNS over HTTPS to https:// upstreams (RFC 8484): one libcurl multi handle per worker, driven
// by the worker's libuv loop, so a DoH try never blocks the loop nor takes a thread.
//
// Why libcurl and not our own HTTP/2 client on nghttp2: libcurl (Debian's, built with nghttp2
// and OpenSSL) already does what a DoH client needs beyond the request itself: ALPN with
// HTTP/1.1 fallback, multiplexing many queries on one HTTP/2 connection, connection reuse and
// expiry, certificate and host-name verification. It is loaded with dlopen
// (pkg/curl_library.h) only when a block names an https:// upstream.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugins/pkg/curl_library.h"

namespace cxxdns::plugins::forward {

struct Upstream;

// How one `forward` directive talks DoH: the method and its `tls` files.
struct DohSettings {
  bool get = false;              // doh_method GET
  std::vector<std::string> tls;  // CERT KEY CA, 0..3 files (as the tls option)
  long max_age_s = 10;           // `expire`: a connection unused this long is not reused
  // No CA in `tls`: the system's store, which SSL_CERT_FILE and SSL_CERT_DIR replace as they
  // do for OpenSSL (tls:// upstreams) and for CoreDNS (Go). libcurl reads neither itself.
  std::string system_ca_file, system_ca_dir;
};

// The end of one request: `body` is the DNS message (when `error` is null), `reused` tells
// whether it went over a connection opened before (the connection cache hit metric).
using DohDone = void (*)(void* owner, const uint8_t* body, size_t len, bool reused,
                         const char* error);

class DohClient {
 public:
  struct Request;

  DohClient(uv_loop_t* loop, const pkg::CurlLibrary& curl);
  DohClient(const DohClient&) = delete;
  DohClient& operator=(const DohClient&) = delete;

  // Sends `wire` to `up` and calls `done(owner, ...)` once, from this loop, unless cancel()
  // is called first. Null (and nothing called) when the request cannot be made.
  Request* send(const Upstream& up, const DohSettings& how, const std::vector<uint8_t>& wire,
                DohDone done, void* owner);
  // Forgets the request: `done` is not called.
  void cancel(Request* r);
  // Cancels what is left, closes the loop handles and frees this client once they are
  // closed. The client may not be used afterwards.
  void close();

 private:
  struct Socket;
  ~DohClient();

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
  static int on_timer_set(CURLM* multi, long timeout_ms, void* self);
  static void on_timeout(uv_timer_t* t);
  static void on_poll(uv_poll_t* p, int status, int events);
  static size_t on_body(char* data, size_t size, size_t n, void* request);
  void action(curl_socket_t fd, int flags);
  void finish_transfers();
  void free_request(Request* r);
  void close_socket(Socket* s);
  void handle_closed();  // a loop handle's close callback ran
  curl_slist* resolve_list(const Upstream& up);

  uv_loop_t* loop_;
  const pkg::CurlLibrary& curl_;
  CURLM* multi_ = nullptr;
  uv_timer_t timer_;
  curl_slist* headers_ = nullptr;       // GET: Accept
  curl_slist* post_headers_ = nullptr;  // POST: Accept and Content-Type
  std::unordered_map<const Upstream*, curl_slist*> resolve_;
  std::vector<Request*> live_;
  std::vector<Socket*> sockets_;
  int open_handles_ = 0;  // the timer and the sockets' polls not yet closed
  bool closing_ = false;
};

}  // namespace cxxdns::plugins::forward
