#include "core/http/server.h"

#include <arpa/inet.h>

#include <mutex>
#include <stdexcept>

#include "core/plugin/kept.h"
namespace cxxdns::http {

namespace {

constexpr uint64_t kReadTimeoutMs = 5000;  // as CoreDNS's endpoints' ReadTimeout
constexpr uint64_t kLingerMs = 1000;       // after the answer, for the client to close

std::string render(const Response& r, bool head_only, std::string_view extra_headers = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += status_text(r.status);
  out += "\r\nContent-Type: " + r.content_type;
  out += "\r\nContent-Length: " + std::to_string(r.body.size());
  out += "\r\nConnection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

}  // namespace

bool split_host_port(std::string_view address, std::string& host, uint16_t& port) {
  size_t colon;
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return false;
    }
    host = std::string(address.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = std::string(address.substr(0, colon));
    if (host.find(':') != std::string::npos) return false;  // v6 needs brackets
  }
  std::string_view p = address.substr(colon + 1);
  if (p.empty() || p.size() > 5) return false;
  unsigned v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<uint16_t>(v);
  if (host == "localhost") host = "127.0.0.1";
  return true;
}

struct HttpServer::Connection {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t write;
  uv_shutdown_t shutdown;
  HttpServer* server = nullptr;
  bool responded = false;
  std::string in;
  std::string out;
  bool closing = false;
  int open_handles = 2;
};

HttpServer::HttpServer(std::string address) : address_(std::move(address)) {}

HttpServer::~HttpServer() {
  // The loop is gone or stopped by now; nothing may call back into us.
  for (Connection* c : connections_) c->server = nullptr;
}

std::shared_ptr<HttpServer> HttpServer::shared(const std::string& address) {
  // One server per address for the whole process, the same one across a reload.
  return kept_across_reloads<HttpServer>("http/" + address,
                                         [&] { return std::make_shared<HttpServer>(address); });
}

void HttpServer::handle(const std::string& path, Handler h, const void* owner) {
  handlers_[path] = {owner, std::move(h)};
}

void HttpServer::release(const void* owner) {
  std::erase_if(handlers_, [owner](const auto& kv) { return kv.second.first == owner; });
}

std::string HttpServer::respond(std::string_view head) const {
  Request req;
  switch (parse_request(head, req)) {
    case ParseStatus::incomplete:
    case ParseStatus::bad:
      return render(Response{400, "Bad Request\n"}, false);
    case ParseStatus::ok:
      break;
  }
  bool head_only = req.method == "HEAD";
  auto it = handlers_.find(std::string(req.path));
  if (it == handlers_.end()) return render(Response{404, "404 page not found\n"}, head_only);
  if (req.method != "GET" && !head_only) {
    return render(Response{405, "Method Not Allowed\n"}, false, "Allow: GET, HEAD\r\n");
  }
  return render(it->second.second(req), head_only);
}

bool HttpServer::start(uv_loop_t* loop) {
  if (starts_++ > 0) return false;
  std::string host;
  uint16_t port = 0;
  if (!split_host_port(address_, host, port)) {
    starts_ = 0;
    throw std::runtime_error("bad address '" + address_ + "'");
  }
  sockaddr_storage ss{};
  auto try_addr = [&](const std::string& h) {
    if (inet_pton(AF_INET, h.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
      auto* in = reinterpret_cast<sockaddr_in*>(&ss);
      in->sin_family = AF_INET;
      in->sin_port = htons(port);
      return true;
    }
    if (inet_pton(AF_INET6, h.c_str(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      return true;
    }
    return false;
  };
  // No host: every address, both families when the system has IPv6.
  if (!try_addr(host.empty() ? "::" : host)) {
    starts_ = 0;
    throw std::runtime_error("cannot resolve '" + host + "' (give an IP address)");
  }
  listener_ = new uv_tcp_t;
  uv_tcp_init(loop, listener_);
  listener_->data = this;
  int rc = uv_tcp_bind(listener_, reinterpret_cast<sockaddr*>(&ss), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128, on_connection);
  if (rc != 0 && host.empty()) {
    // No IPv6 here: fall back to every IPv4 address.
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = new uv_tcp_t;
    uv_tcp_init(loop, listener_);
    listener_->data = this;
    ss = {};
    try_addr("0.0.0.0");
    rc = uv_tcp_bind(listener_, reinterpret_cast<sockaddr*>(&ss), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128, on_connection);
  }
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
    starts_ = 0;
    throw std::runtime_error("listen tcp " + address_ + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return true;
}

void HttpServer::stop() {
  if (starts_ == 0 || --starts_ > 0) return;
  if (listener_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(listener_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
  listener_ = nullptr;
  auto open = connections_;
  for (Connection* c : open) close_connection(c);
}

void HttpServer::close_connection(Connection* c) {
  if (c->closing) return;
  c->closing = true;
  connections_.erase(c);
  auto done = [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    if (--conn->open_handles == 0) delete conn;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), done);
}

void HttpServer::close_on_timer(uv_timer_t* t) {
  auto* conn = static_cast<Connection*>(t->data);
  if (conn->server) conn->server->close_connection(conn);
}

void HttpServer::on_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<HttpServer*>(listener->data);
  if (status < 0) return;
  auto* c = new Connection;
  c->server = self;
  uv_tcp_init(listener->loop, &c->tcp);
  uv_timer_init(listener->loop, &c->timer);
  c->tcp.data = c->timer.data = c->write.data = c->shutdown.data = c;
  self->connections_.insert(c);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    self->close_connection(c);
    return;
  }
  // A client that never finishes its request loses its connection.
  uv_timer_start(&c->timer, close_on_timer, kReadTimeoutMs, 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static thread_local char scratch[4096];
        *buf = uv_buf_init(scratch, sizeof(scratch));
      },
      on_read);
}

void HttpServer::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(s->data);
  if (!conn->server || conn->closing) return;
  if (n < 0) {
    conn->server->close_connection(conn);
    return;
  }
  // After the answer, read and drop what the client still sends until it closes: closing
  // with unread data would reset the connection and lose the answer.
  if (conn->responded) return;
  conn->in.append(buf->base, static_cast<size_t>(n));
  Request req;
  if (parse_request(conn->in, req) == ParseStatus::incomplete) return;
  conn->responded = true;
  uv_timer_start(&conn->timer, close_on_timer, kLingerMs, 0);
  conn->out = conn->server->respond(conn->in);
  conn->in.clear();
  uv_buf_t out = uv_buf_init(conn->out.data(), static_cast<unsigned>(conn->out.size()));
  const int rc = uv_write(&conn->write, s, &out, 1, [](uv_write_t* w, int status) {
    auto* wc = static_cast<Connection*>(w->data);
    if (!wc->server || wc->closing) return;
    if (status < 0 || uv_shutdown(&wc->shutdown, w->handle, [](uv_shutdown_t*, int) {}) != 0) {
      wc->server->close_connection(wc);
    }
  });
  if (rc != 0) conn->server->close_connection(conn);
}

}  // namespace cxxdns::http
