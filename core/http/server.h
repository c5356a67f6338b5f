// One small HTTP/1.1 endpoint server on the control loop (health, ready, metrics).
//
// Written on libuv rather than with cpp-httplib: the control loop already runs here, so
// handlers run on the same thread as plugin start/stop (no locking against them), and
// no extra thread per listener. It answers GET and HEAD, one request per connection
// (Connection: close), which is all probes and Prometheus scrapers need.
//
// Several plugins (and several server blocks) naming the same address share one
// listener: get it with HttpServer::shared(address) at setup. In Plugin::start(): add
// paths with handle(path, h, this), then start(); in Plugin::stop(): release(this), then
// stop(). Starts are counted: the listener closes with the last stop. The listeners are
// process-wide, not per configuration, so that on a reload the new configuration's
// plugins take over the paths of a listener that never closes (binding the address again
// while the old configuration still serves would fail).
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/http/request.h"

namespace cxxdns::http {

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

using Handler = std::function<Response(const Request&)>;

// Splits "host:port", ":port", "[v6]:port" (Go's net.SplitHostPort); false on bad syntax
// or a port over 65535 (0: any free port). "localhost" becomes 127.0.0.1.
bool split_host_port(std::string_view address, std::string& host, uint16_t& port);

class HttpServer {
 public:
  explicit HttpServer(std::string address);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The server for `address`, made on first use; the same one while anyone holds it.
  static std::shared_ptr<HttpServer> shared(const std::string& address);

  const std::string& address() const { return address_; }
  // Registers a path for `owner`; a later handler for the same path replaces it.
  void handle(const std::string& path, Handler h, const void* owner = nullptr);
  // Removes the paths `owner` still holds (not those another owner took over).
  void release(const void* owner);
  // Starts listening (first call only: returns true then); throws std::runtime_error when
  // it cannot bind.
  bool start(uv_loop_t* loop);
  void stop();
  uint16_t port() const { return port_; }  // the bound port, once started

  // The full response for one request head (status line, headers, body); for tests.
  std::string respond(std::string_view head) const;

 private:
  struct Connection;
  static void on_connection(uv_stream_t* server, int status);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void close_on_timer(uv_timer_t* t);
  void close_connection(Connection* c);

  std::string address_;
  std::map<std::string, std::pair<const void*, Handler>> handlers_;
  uv_tcp_t* listener_ = nullptr;
  int starts_ = 0;
  uint16_t port_ = 0;
  std::set<Connection*> connections_;
};

}  // namespace cxxdns::http
