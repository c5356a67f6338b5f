#include "plugins/pkg/loop_http.h"

#include <algorithm>
#include <cstdlib>

namespace cxxdns::pkg {

struct LoopHttp::Request {
  LoopHttp* client = nullptr;
  CURL* easy = nullptr;
  HttpDone done = nullptr;
  void* owner = nullptr;
  size_t max_body = 0;
  std::vector<uint8_t> body;
  std::vector<std::string> headers;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
};

struct LoopHttp::Socket {
  LoopHttp* client = nullptr;
  curl_socket_t fd = CURL_SOCKET_BAD;
  uv_poll_t poll;
};

LoopHttp::LoopHttp(uv_loop_t* loop, const CurlLibrary& curl) : loop_(loop), curl_(curl) {
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
    // many as forward opens over TCP, further requests wait for one.
    curl_.multi_setopt(multi_, CURLMOPT_PIPELINING, long(CURLPIPE_MULTIPLEX));
    curl_.multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
  }
}

namespace {

// TLS files of a call; none: libcurl's defaults (its CA store).
void set_tls(const CurlLibrary& curl, CURL* e, const HttpCall& call) {
  const auto set = curl.easy_setopt;
  if (call.ca_file) set(e, CURLOPT_CAINFO, call.ca_file);
  if (call.ca_dir) set(e, CURLOPT_CAPATH, call.ca_dir);
  if (call.cert) set(e, CURLOPT_SSLCERT, call.cert);
  if (call.key) set(e, CURLOPT_SSLKEY, call.key);
}

}  // namespace

HttpTls::HttpTls(std::vector<std::string> tls_files) : files(std::move(tls_files)) {
  if (const char* f = std::getenv("SSL_CERT_FILE")) system_ca_file = f;
  if (const char* d = std::getenv("SSL_CERT_DIR")) system_ca_dir = d;
}

void HttpTls::apply(HttpCall& call) const {
  // tls CA / tls CERT KEY / tls CERT KEY CA; no CA: the system's.
  if (files.size() == 1 || files.size() == 3) {
    call.ca_file = files.back().c_str();
  } else {
    if (!system_ca_file.empty()) call.ca_file = system_ca_file.c_str();
    if (!system_ca_dir.empty()) call.ca_dir = system_ca_dir.c_str();
  }
  if (files.size() >= 2) {
    call.cert = files[0].c_str();
    call.key = files[1].c_str();
  }
}

LoopHttp::Request* LoopHttp::send(const HttpCall& call, HttpDone done, void* owner) {
  if (closing_ || !multi_) return nullptr;
  CURL* e = curl_.easy_init();
  if (!e) return nullptr;
  auto* r = new Request;
  r->client = this;
  r->easy = e;
  r->done = done;
  r->owner = owner;
  r->max_body = call.max_body;
  const auto set = curl_.easy_setopt;
  set(e, CURLOPT_PRIVATE, r);
  set(e, CURLOPT_NOSIGNAL, 1L);
  // Never a proxy from the environment (https_proxy): the upstream is the address written.
  set(e, CURLOPT_PROXY, "");
  set(e, CURLOPT_PROTOCOLS_STR, call.protocols);
  set(e, CURLOPT_HTTP_VERSION, call.http_version);
  // Wait for the connection being opened rather than open another: one HTTP/2 connection
  // carries every query in flight.
  set(e, CURLOPT_PIPEWAIT, 1L);
  set(e, CURLOPT_TIMEOUT_MS, call.timeout_ms);
  set(e, CURLOPT_MAXAGE_CONN, call.max_age_s);
  set(e, CURLOPT_ERRORBUFFER, r->error);
  set(e, CURLOPT_WRITEFUNCTION, on_body);
  set(e, CURLOPT_WRITEDATA, r);
  if (call.keep_headers) {
    // HTTP/2 trailers come through here too, after the body.
    set(e, CURLOPT_HEADERFUNCTION, on_header);
    set(e, CURLOPT_HEADERDATA, r);
  }
  if (!call.reuse) {
    set(e, CURLOPT_FRESH_CONNECT, 1L);
    set(e, CURLOPT_FORBID_REUSE, 1L);
  }
  if (call.resolve) set(e, CURLOPT_RESOLVE, call.resolve);
  set_tls(curl_, e, call);
  set(e, CURLOPT_URL, call.url);
  if (call.headers) set(e, CURLOPT_HTTPHEADER, call.headers);
  if (call.get) {
    set(e, CURLOPT_HTTPGET, 1L);
  } else {
    set(e, CURLOPT_POSTFIELDSIZE, long(call.post.size()));
    set(e, CURLOPT_COPYPOSTFIELDS, reinterpret_cast<const char*>(call.post.data()));
  }
  if (curl_.multi_add_handle(multi_, e) != CURLM_OK) {
    free_request(r);
    return nullptr;
  }
  live_.push_back(r);
  return r;
}

size_t LoopHttp::on_body(char* data, size_t size, size_t n, void* request) {
  auto* r = static_cast<Request*>(request);
  const size_t len = size * n;
  if (r->body.size() + len > r->max_body) {
    r->too_large = true;
    return 0;  // ends the transfer with CURLE_WRITE_ERROR
  }
  r->body.insert(r->body.end(), data, data + len);
  return len;
}

size_t LoopHttp::on_header(char* data, size_t size, size_t n, void* request) {
  auto* r = static_cast<Request*>(request);
  const size_t len = size * n;
  std::string line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty() && r->headers.size() < 64) r->headers.push_back(std::move(line));
  return len;
}

void LoopHttp::cancel(Request* r) {
  if (!r) return;
  auto it = std::find(live_.begin(), live_.end(), r);
  if (it == live_.end()) return;
  live_.erase(it);
  curl_.multi_remove_handle(multi_, r->easy);
  free_request(r);
}

void LoopHttp::free_request(Request* r) {
  curl_.easy_cleanup(r->easy);
  delete r;
}

void LoopHttp::finish_transfers() {
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
    HttpResult res;
    long connects = 0;
    curl_.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res.status);
    curl_.easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
    curl_.multi_remove_handle(multi_, e);
    res.reused = connects == 0;
    if (rc != CURLE_OK) {
      res.error = r->too_large  ? "answer larger than a DNS message"
                  : r->error[0] ? r->error
                                : curl_.easy_strerror(rc);
    }
    res.body = r->body;
    res.headers = &r->headers;
    r->done(r->owner, res);
    free_request(r);
  }
}

void LoopHttp::action(curl_socket_t fd, int flags) {
  int running = 0;
  curl_.multi_socket_action(multi_, fd, flags, &running);
  finish_transfers();
}

int LoopHttp::on_socket(CURL*, curl_socket_t fd, int what, void* self, void* socket) {
  auto* c = static_cast<LoopHttp*>(self);
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

void LoopHttp::close_socket(Socket* s) {
  sockets_.erase(std::remove(sockets_.begin(), sockets_.end(), s), sockets_.end());
  uv_poll_stop(&s->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), [](uv_handle_t* h) {
    auto* s = static_cast<Socket*>(h->data);
    LoopHttp* c = s->client;
    delete s;
    c->handle_closed();
  });
}

void LoopHttp::handle_closed() {
  if (--open_handles_ == 0 && closing_) delete this;
}

void LoopHttp::on_poll(uv_poll_t* p, int status, int events) {
  auto* s = static_cast<Socket*>(p->data);
  int flags = 0;
  if (status < 0) flags |= CURL_CSELECT_ERR;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  s->client->action(s->fd, flags);
}

int LoopHttp::on_timer_set(CURLM*, long timeout_ms, void* self) {
  auto* c = static_cast<LoopHttp*>(self);
  if (c->closing_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(&c->timer_);
  } else {
    // Never socket_action from inside libcurl's callback: the timer runs it (0: next turn).
    uv_timer_start(&c->timer_, on_timeout, uint64_t(timeout_ms), 0);
  }
  return 0;
}

void LoopHttp::on_timeout(uv_timer_t* t) {
  static_cast<LoopHttp*>(t->data)->action(CURL_SOCKET_TIMEOUT, 0);
}

void LoopHttp::close() {
  closing_ = true;
  uv_timer_stop(&timer_);
  while (!live_.empty()) cancel(live_.back());
  // Closing the cached connections may tell on_socket to drop their sockets.
  if (multi_) curl_.multi_cleanup(multi_);
  multi_ = nullptr;
  while (!sockets_.empty()) close_socket(sockets_.back());
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { static_cast<LoopHttp*>(h->data)->handle_closed(); });
}

}  // namespace cxxdns::pkg
