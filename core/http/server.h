// One small HTTP/1.1 endpoint server on the control loop (health, ready, metrics).
//
// Written on libuv rather than with cpp-httplib: the control loop already runs here, so
// handlers run on the same thread as plugin start/stop (no locking against them), and
// no extra thread per listener. It answers GET and HEAD, one request per connection
// (Connection: close), which is all probes and Prometheus scrapers need.
//
// Several plugins (and several server blocks) naming the same address share one
// listener: get it with HttpServer::shared(services, address) at setup, add paths with
// handle(), call start() from Plugin::start() and stop() from Plugin::stop() (counted: the
// listener closes with the last stop).
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/http/request.h"

namespace cxxdns {
struct Services;
}

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

  // The server for `address`, made on first use and kept in services.shared.
  static std::shared_ptr<HttpServer> shared(Services& services, const std::string& address);

  const std::string& address() const { return address_; }
  // Registers a path; a second handler for the same path replaces the first.
  void handle(const std::string& path, Handler h);
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
  void close_connection(Connection* c);

  std::string address_;
  std::map<std::string, Handler> handlers_;
  uv_tcp_t* listener_ = nullptr;
  int starts_ = 0;
  uint16_t port_ = 0;
  std::set<Connection*> connections_;
};

}  // namespace cxxdns::http
