// DNS over HTTPS to https:// upstreams (RFC 8484): the requests of RFC 8484 on the worker's
// HTTP client (pkg/loop_http.h: libcurl's multi handle on the worker's libuv loop), so a DoH
// try never blocks the loop nor takes a thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugins/pkg/curl_library.h"
#include "plugins/pkg/loop_http.h"

namespace cxxdns::plugins::forward {

struct Upstream;

// How one `forward` directive talks DoH: the method and its `tls` files.
struct DohSettings {
  bool get = false;     // doh_method GET
  pkg::HttpTls tls;     // the `tls` files (or the system's store)
  long max_age_s = 10;  // `expire`: a connection unused this long is not reused
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
  ~DohClient();
  static void on_done(void* request, const pkg::HttpResult& res);
  curl_slist* resolve_list(const Upstream& up);

  const pkg::CurlLibrary& curl_;
  pkg::LoopHttp* http_;                 // close() frees it
  curl_slist* headers_ = nullptr;       // GET: Accept
  curl_slist* post_headers_ = nullptr;  // POST: Accept and Content-Type
  std::unordered_map<const Upstream*, curl_slist*> resolve_;
  std::vector<Request*> live_;
};

}  // namespace cxxdns::plugins::forward
