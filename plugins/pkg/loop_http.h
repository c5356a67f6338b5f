// An HTTP client on a worker's libuv loop: one libcurl multi handle, its sockets watched with
// uv_poll and its timeouts with a uv_timer, so a request never blocks the loop nor takes a
// thread. Plugins that query HTTP upstreams per DNS query use it (forward's DoH upstreams, the
// grpc plugin's gRPC upstreams), each with one client per worker.
//
// Why libcurl and not our own HTTP/2 client on nghttp2: libcurl (Debian's, built with nghttp2
// and OpenSSL) already does what such a client needs beyond the request itself: ALPN with
// HTTP/1.1 fallback, HTTP/2 with prior knowledge, multiplexing many queries on one HTTP/2
// connection, connection reuse and expiry, certificate and host-name verification, trailers.
// It is loaded with dlopen (pkg/curl_library.h) only when a block needs it.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plugins/pkg/curl_library.h"

namespace cxxdns::pkg {

// One request. Pointers must stay valid until the request is done or cancelled.
struct HttpCall {
  const char* url = nullptr;
  long http_version = CURL_HTTP_VERSION_2TLS;  // CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE: h2c
  const char* protocols = "https";             // CURLOPT_PROTOCOLS_STR
  curl_slist* headers = nullptr;               // request headers
  curl_slist* resolve = nullptr;               // CURLOPT_RESOLVE entries (no name lookups)
  std::span<const uint8_t> post;               // the POST body (copied); GET when `get`
  bool get = false;
  // TLS: the CA file or directory to verify the server with, the client certificate and key.
  const char* ca_file = nullptr;
  const char* ca_dir = nullptr;
  const char* cert = nullptr;
  const char* key = nullptr;
  long max_age_s = 10;        // a connection unused this long is not reused
  long timeout_ms = 6000;     // libcurl's own limit, behind the caller's own timer
  size_t max_body = 65535;    // a larger body fails the request
  bool keep_headers = false;  // collect the response's header and trailer lines
  bool reuse = true;          // false: a connection of its own, closed after
};

// The TLS side of calls from a `tls [CERT KEY CA]` option (0 to 3 files, as CoreDNS reads
// them). With no CA, the system's store, which SSL_CERT_FILE and SSL_CERT_DIR replace as they
// do for OpenSSL and Go (libcurl reads neither itself); they are read once, when it is made.
struct HttpTls {
  HttpTls() = default;
  explicit HttpTls(std::vector<std::string> tls_files);
  // Sets the call's CA, client certificate and key (pointers into this object).
  void apply(HttpCall& call) const;

  std::vector<std::string> files;
  std::string system_ca_file, system_ca_dir;
};

// How a request ended. `error` is null when the exchange completed (whatever its status).
struct HttpResult {
  long status = 0;
  bool reused = false;  // it went over a connection opened before
  const char* error = nullptr;
  std::span<const uint8_t> body;
  const std::vector<std::string>* headers = nullptr;  // "name: value" lines, trailers last
};
using HttpDone = void (*)(void* owner, const HttpResult& result);

class LoopHttp {
 public:
  struct Request;

  LoopHttp(uv_loop_t* loop, const CurlLibrary& curl);
  LoopHttp(const LoopHttp&) = delete;
  LoopHttp& operator=(const LoopHttp&) = delete;

  // Starts `call` and calls `done(owner, ...)` once, from this loop, unless cancel() is called
  // first. Null (and nothing called) when the request cannot be made.
  Request* send(const HttpCall& call, HttpDone done, void* owner);
  // Forgets the request: `done` is not called.
  void cancel(Request* r);
  // Cancels what is left (synchronously: no request is in libcurl's hands after), closes the
  // loop handles and frees this client once they are closed.
  void close();

 private:
  struct Socket;
  ~LoopHttp() = default;

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
  static int on_timer_set(CURLM* multi, long timeout_ms, void* self);
  static void on_timeout(uv_timer_t* t);
  static void on_poll(uv_poll_t* p, int status, int events);
  static size_t on_body(char* data, size_t size, size_t n, void* request);
  static size_t on_header(char* data, size_t size, size_t n, void* request);
  void action(curl_socket_t fd, int flags);
  void finish_transfers();
  void free_request(Request* r);
  void close_socket(Socket* s);
  void handle_closed();  // a loop handle's close callback ran

  uv_loop_t* loop_;
  const CurlLibrary& curl_;
  CURLM* multi_ = nullptr;
  uv_timer_t timer_;
  std::vector<Request*> live_;
  std::vector<Socket*> sockets_;
  int open_handles_ = 0;  // the timer and the sockets' polls not yet closed
  bool closing_ = false;
};

}  // namespace cxxdns::pkg
