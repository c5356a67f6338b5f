// HTTP/1.x request-head parsing for the endpoint server: only what health, ready and
// metrics need (method and path); headers are skipped, bodies are not read.
#pragma once

#include <cstddef>
#include <string_view>

namespace cxxdns::http {

struct Request {
  std::string_view method;  // "GET"
  std::string_view path;    // "/metrics", query string removed
};

enum class ParseStatus { incomplete, ok, bad };

// Requests whose head is longer than this are refused (400).
constexpr size_t kMaxHead = 8192;

// Parses the head at the start of `buf`. `incomplete` while "\r\n\r\n" (or "\n\n") has not
// arrived yet; `bad` for anything that is not "METHOD SP TARGET SP HTTP/1.x", for a
// target not starting with '/' (an absolute "http://host/path" is taken as its path) and
// for a head over kMaxHead. Views in `out` point into `buf`.
ParseStatus parse_request(std::string_view buf, Request& out);

// "200 OK", "404 Not Found"...: the reason phrase for the status line.
std::string_view status_text(int status);

}  // namespace cxxdns::http
