#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "core/http/request.h"
#include "core/http/server.h"

using namespace cxxdns::http;

TEST_CASE("parse_request reads method and path", "[http]") {
  Request r;
  REQUIRE(parse_request("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", r) == ParseStatus::ok);
  CHECK(r.method == "GET");
  CHECK(r.path == "/health");
  REQUIRE(parse_request("GET /metrics?x=1 HTTP/1.0\n\n", r) == ParseStatus::ok);
  CHECK(r.path == "/metrics");
  REQUIRE(parse_request("GET http://h:9153/metrics HTTP/1.1\r\n\r\n", r) == ParseStatus::ok);
  CHECK(r.path == "/metrics");
  REQUIRE(parse_request("POST /ready HTTP/1.1\r\n\r\n", r) == ParseStatus::ok);
  CHECK(r.method == "POST");
}

TEST_CASE("parse_request waits for the end of the head", "[http]") {
  Request r;
  CHECK(parse_request("", r) == ParseStatus::incomplete);
  CHECK(parse_request("GET /health HTTP/1.1\r\nHost: x\r\n", r) == ParseStatus::incomplete);
  CHECK(parse_request(std::string(kMaxHead + 1, 'a'), r) == ParseStatus::bad);
}

TEST_CASE("parse_request refuses malformed heads", "[http]") {
  Request r;
  for (const char* bad :
       {"GET\r\n\r\n", "GET /x\r\n\r\n", "GET /x HTTP/2.0\r\n\r\n", "get /x HTTP/1.1\r\n\r\n",
        "GET x HTTP/1.1\r\n\r\n", " /x HTTP/1.1\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n", "\x16\x03\x01\x02\x05\r\n\r\n"}) {
    INFO(bad);
    CHECK(parse_request(bad, r) == ParseStatus::bad);
  }
}

TEST_CASE("HttpServer answers by path and method", "[http]") {
  HttpServer s("127.0.0.1:1");
  s.handle("/health", [](const Request&) { return Response{200, "OK"}; });
  std::string ok = s.respond("GET /health HTTP/1.1\r\n\r\n");
  CHECK(ok.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(ok.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(ok.find("Connection: close\r\n") != std::string::npos);
  CHECK(ok.ends_with("\r\n\r\nOK"));
  std::string head = s.respond("HEAD /health HTTP/1.1\r\n\r\n");
  CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(s.respond("GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  std::string post = s.respond("POST /health HTTP/1.1\r\n\r\n");
  CHECK(post.starts_with("HTTP/1.1 405 "));
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(s.respond("garbage\r\n\r\n").starts_with("HTTP/1.1 400 "));
}

TEST_CASE("split_host_port as Go's", "[http]") {
  std::string h;
  uint16_t p = 0;
  REQUIRE(split_host_port(":8080", h, p));
  CHECK(h.empty());
  CHECK(p == 8080);
  REQUIRE(split_host_port("localhost:9153", h, p));
  CHECK(h == "127.0.0.1");
  REQUIRE(split_host_port("[::1]:8181", h, p));
  CHECK(h == "::1");
  CHECK(p == 8181);
  CHECK_FALSE(split_host_port("8080", h, p));
  CHECK_FALSE(split_host_port("::1:80", h, p));
  REQUIRE(split_host_port("a:0", h, p));
  CHECK(p == 0);
  CHECK_FALSE(split_host_port("a:65536", h, p));
  CHECK_FALSE(split_host_port("a:", h, p));
  CHECK_FALSE(split_host_port("a:8x", h, p));
}

namespace {

// One blocking request from another thread while `loop` runs here.
std::string fetch(uv_loop_t* loop, uint16_t port, const std::string& request) {
  std::atomic<bool> done{false};
  std::string reply;
  std::thread client([&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
      ::send(fd, request.data(), request.size(), 0);
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) reply.append(buf, n);
    }
    ::close(fd);
    done = true;
  });
  while (!done) uv_run(loop, UV_RUN_NOWAIT);
  client.join();
  return reply;
}

}  // namespace

TEST_CASE("HttpServer serves real connections on a libuv loop and closes cleanly", "[http]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  HttpServer s("127.0.0.1:0");
  s.handle("/health", [](const Request&) { return Response{200, "OK"}; });
  CHECK(s.start(&loop));
  CHECK_FALSE(s.start(&loop));  // a second user shares the listener
  REQUIRE(s.port() != 0);
  std::string r = fetch(&loop, s.port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.ends_with("\r\n\r\nOK"));
  CHECK(fetch(&loop, s.port(), "GET /nope HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 404 "));
  CHECK(fetch(&loop, s.port(), std::string(9000, 'x')).starts_with("HTTP/1.1 400 "));
  s.stop();
  std::string still = fetch(&loop, s.port(), "GET /health HTTP/1.1\r\n\r\n");
  CHECK(still.starts_with("HTTP/1.1 200 "));  // one user left
  s.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);  // every handle closed and freed
}

TEST_CASE("paths belong to their owner, a later owner takes them over", "[http]") {
  auto a = HttpServer::shared("127.0.0.1:0");
  CHECK(HttpServer::shared("127.0.0.1:0") == a);  // one per address, process-wide
  int old_owner, new_owner;
  a->handle(
      "/ready",
      [](const Request&) {
        return Response{503, "old"};
      },
      &old_owner);
  a->handle(
      "/ready",
      [](const Request&) {
        return Response{200, "new"};
      },
      &new_owner);
  a->release(&old_owner);  // the old configuration stops after the new one started
  CHECK(a->respond("GET /ready HTTP/1.1\r\n\r\n").ends_with("\r\n\r\nnew"));
  a->release(&new_owner);
  CHECK(a->respond("GET /ready HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
}
