#include "core/http/request.h"

namespace cxxdns::http {

namespace {

bool is_token_char(char c) {
  return c >= 'A' && c <= 'Z';
}

bool is_target_char(char c) {
  return c > ' ' && c < 0x7f;
}

bool all_of(std::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

// "METHOD TARGET HTTP/1.x": false when it is not that.
bool split_request_line(std::string_view line, std::string_view& method, std::string_view& target) {
  const size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return false;
  method = line.substr(0, sp1);
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  return all_of(method, is_token_char) && all_of(target, is_target_char);
}

// The path of a request target, absolute form (as a proxy sends it) included, without
// its query and fragment; empty when it is not a path.
std::string_view path_of(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.starts_with(scheme)) {
      const size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  if (target.empty() || target[0] != '/') return {};
  return target.substr(0, target.find_first_of("?#"));
}

}  // namespace

ParseStatus parse_request(std::string_view buf, Request& out) {
  size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) end = buf.find("\n\n");
  if (end == std::string_view::npos) {
    return buf.size() > kMaxHead ? ParseStatus::bad : ParseStatus::incomplete;
  }
  if (end > kMaxHead) return ParseStatus::bad;
  std::string_view line = buf.substr(0, buf.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  std::string_view method, target;
  if (!split_request_line(line, method, target)) return ParseStatus::bad;
  const std::string_view path = path_of(target);
  if (path.empty()) return ParseStatus::bad;
  out.method = method;
  out.path = path;
  return ParseStatus::ok;
}

std::string_view status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace cxxdns::http
