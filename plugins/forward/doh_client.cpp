#include "plugins/forward/doh_client.h"

#include <algorithm>
#include <cstring>

#include "core/server/doh.h"
#include "plugins/forward/options.h"

namespace cxxdns::plugins::forward {

// The largest DNS message; a body beyond it is not a DNS answer.
constexpr size_t kMaxBody = 65535;
// libcurl's own limit on a transfer, behind the exchange's try timer (which ends a try first).
constexpr long kTransferTimeoutMs = 6000;

struct DohClient::Request {
  DohClient* client = nullptr;
  CURL* easy = nullptr;
  DohDone done = nullptr;
  void* owner = nullptr;
  std::string url;  // GET: with ?dns=
  std::vector<uint8_t> body;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
};

struct DohClient::Socket {
  DohClient* client = nullptr;
  curl_socket_t fd = CURL_SOCKET_BAD;
  uv_poll_t poll;
};

DohClient::DohClient(uv_loop_t* loop, const pkg::CurlLibrary& curl) : loop_(loop), curl_(curl) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  open_handles_ = 1;
  multi_ = curl_.multi_init();
  if (multi_) {
    curl_.multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_.multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_.multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_.multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    // Queries share one HTTP/2 connection per upstream; an HTTP/1.1 upstream gets at most as
    // many as forward opens over TCP (kTcpMaxConns), further requests wait for one.
    curl_.multi_setopt(multi_, CURLMOPT_PIPELINING, long(CURLPIPE_MULTIPLEX));
    curl_.multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
  }
  headers_ = curl_.slist_append(nullptr, "Accept: application/dns-message");
  post_headers_ = curl_.slist_append(nullptr, "Accept: application/dns-message");
  post_headers_ = curl_.slist_append(post_headers_, "Content-Type: application/dns-message");
}

DohClient::~DohClient() {
  curl_.slist_free_all(headers_);
  curl_.slist_free_all(post_headers_);
  for (auto& [up, list] : resolve_) curl_.slist_free_all(list);
}

curl_slist* DohClient::resolve_list(const Upstream& up) {
  if (up.doh_resolve.empty()) return nullptr;
  auto [it, added] = resolve_.try_emplace(&up, nullptr);
  if (added) it->second = curl_.slist_append(nullptr, up.doh_resolve.c_str());
  return it->second;
}

DohClient::Request* DohClient::send(const Upstream& up, const DohSettings& how,
                                    const std::vector<uint8_t>& wire, DohDone done, void* owner) {
  if (closing_ || !multi_) return nullptr;
  CURL* e = curl_.easy_init();
  if (!e) return nullptr;
  auto* r = new Request;
  r->client = this;
  r->easy = e;
  r->done = done;
  r->owner = owner;
  const auto set = curl_.easy_setopt;
  set(e, CURLOPT_PRIVATE, r);
  set(e, CURLOPT_NOSIGNAL, 1L);
  // Never a proxy from the environment (https_proxy): the upstream is the address written.
  set(e, CURLOPT_PROXY, "");
  set(e, CURLOPT_PROTOCOLS_STR, "https");
  set(e, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS));
  // Wait for the connection being opened rather than open another: one HTTP/2 connection
  // carries every query in flight.
  set(e, CURLOPT_PIPEWAIT, 1L);
  set(e, CURLOPT_TIMEOUT_MS, kTransferTimeoutMs);
  set(e, CURLOPT_MAXAGE_CONN, how.max_age_s);
  set(e, CURLOPT_ERRORBUFFER, r->error);
  set(e, CURLOPT_WRITEFUNCTION, on_body);
  set(e, CURLOPT_WRITEDATA, r);
  // A tls_servername: the URL names it (SNI and the certificate check), and this entry takes
  // it to the upstream's address, so nothing is looked up.
  if (curl_slist* resolve = resolve_list(up)) set(e, CURLOPT_RESOLVE, resolve);
  // tls CA / tls CERT KEY / tls CERT KEY CA; no CA: the system's.
  if (how.tls.size() == 1 || how.tls.size() == 3) {
    set(e, CURLOPT_CAINFO, how.tls.back().c_str());
  } else {
    if (!how.system_ca_file.empty()) set(e, CURLOPT_CAINFO, how.system_ca_file.c_str());
    if (!how.system_ca_dir.empty()) set(e, CURLOPT_CAPATH, how.system_ca_dir.c_str());
  }
  if (how.tls.size() >= 2) {
    set(e, CURLOPT_SSLCERT, how.tls[0].c_str());
    set(e, CURLOPT_SSLKEY, how.tls[1].c_str());
  }
  if (how.get) {
    r->url = up.doh_url + "?dns=" + doh::base64url_encode(wire);
    set(e, CURLOPT_URL, r->url.c_str());
    set(e, CURLOPT_HTTPGET, 1L);
    set(e, CURLOPT_HTTPHEADER, headers_);
  } else {
    set(e, CURLOPT_URL, up.doh_url.c_str());
    set(e, CURLOPT_POSTFIELDSIZE, long(wire.size()));
    set(e, CURLOPT_COPYPOSTFIELDS, reinterpret_cast<const char*>(wire.data()));
    set(e, CURLOPT_HTTPHEADER, post_headers_);
  }
  if (curl_.multi_add_handle(multi_, e) != CURLM_OK) {
    free_request(r);
    return nullptr;
  }
  live_.push_back(r);
  return r;
}

size_t DohClient::on_body(char* data, size_t size, size_t n, void* request) {
  auto* r = static_cast<Request*>(request);
  const size_t len = size * n;
  if (r->body.size() + len > kMaxBody) {
    r->too_large = true;
    return 0;  // ends the transfer with CURLE_WRITE_ERROR
  }
  r->body.insert(r->body.end(), data, data + len);
  return len;
}

void DohClient::cancel(Request* r) {
  if (!r) return;
  auto it = std::find(live_.begin(), live_.end(), r);
  if (it == live_.end()) return;
  live_.erase(it);
  curl_.multi_remove_handle(multi_, r->easy);
  free_request(r);
}

void DohClient::free_request(Request* r) {
  curl_.easy_cleanup(r->easy);
  delete r;
}

void DohClient::finish_transfers() {
  int left = 0;
  while (CURLMsg* m = curl_.multi_info_read(multi_, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL* e = m->easy_handle;
    const CURLcode rc = m->data.result;
    Request* r = nullptr;
    curl_.easy_getinfo(e, CURLINFO_PRIVATE, reinterpret_cast<char**>(&r));
    auto it = std::find(live_.begin(), live_.end(), r);
    if (!r || it == live_.end()) continue;
    live_.erase(it);
    long status = 0, connects = 0;
    curl_.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_.easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
    curl_.multi_remove_handle(multi_, e);
    std::string error;
    if (rc != CURLE_OK) {
      error = r->too_large
                  ? "https: answer larger than a DNS message"
                  : "https: " + std::string(r->error[0] ? r->error : curl_.easy_strerror(rc));
    } else if (status < 200 || status >= 300) {
      // RFC 8484 4.2.1: only a 2xx response carries a DNS answer.
      error = "https: HTTP status " + std::to_string(status);
    }
    r->done(r->owner, r->body.data(), r->body.size(), connects == 0,
            error.empty() ? nullptr : error.c_str());
    free_request(r);
  }
}

void DohClient::action(curl_socket_t fd, int flags) {
  int running = 0;
  curl_.multi_socket_action(multi_, fd, flags, &running);
  finish_transfers();
}

int DohClient::on_socket(CURL*, curl_socket_t fd, int what, void* self, void* socket) {
  auto* c = static_cast<DohClient*>(self);
  auto* s = static_cast<Socket*>(socket);
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      c->curl_.multi_assign(c->multi_, fd, nullptr);
      c->close_socket(s);
    }
    return 0;
  }
  if (!s) {
    s = new Socket;
    s->client = c;
    s->fd = fd;
    if (uv_poll_init_socket(c->loop_, &s->poll, fd) != 0) {
      delete s;
      return -1;
    }
    s->poll.data = s;
    ++c->open_handles_;
    c->sockets_.push_back(s);
    c->curl_.multi_assign(c->multi_, fd, s);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

void DohClient::close_socket(Socket* s) {
  sockets_.erase(std::remove(sockets_.begin(), sockets_.end(), s), sockets_.end());
  uv_poll_stop(&s->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), [](uv_handle_t* h) {
    auto* s = static_cast<Socket*>(h->data);
    DohClient* c = s->client;
    delete s;
    c->handle_closed();
  });
}

void DohClient::handle_closed() {
  if (--open_handles_ == 0 && closing_) delete this;
}

void DohClient::on_poll(uv_poll_t* p, int status, int events) {
  auto* s = static_cast<Socket*>(p->data);
  int flags = 0;
  if (status < 0) flags |= CURL_CSELECT_ERR;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  s->client->action(s->fd, flags);
}

int DohClient::on_timer_set(CURLM*, long timeout_ms, void* self) {
  auto* c = static_cast<DohClient*>(self);
  if (c->closing_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(&c->timer_);
  } else {
    // Never socket_action from inside libcurl's callback: the timer runs it (0: next turn).
    uv_timer_start(&c->timer_, on_timeout, uint64_t(timeout_ms), 0);
  }
  return 0;
}

void DohClient::on_timeout(uv_timer_t* t) {
  static_cast<DohClient*>(t->data)->action(CURL_SOCKET_TIMEOUT, 0);
}

void DohClient::close() {
  closing_ = true;
  uv_timer_stop(&timer_);
  while (!live_.empty()) cancel(live_.back());
  // Closing the cached connections may tell on_socket to drop their sockets.
  if (multi_) curl_.multi_cleanup(multi_);
  multi_ = nullptr;
  while (!sockets_.empty()) close_socket(sockets_.back());
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { static_cast<DohClient*>(h->data)->handle_closed(); });
}

}  // namespace cxxdns::plugins::forward
