#include "plugins/forward/options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/dns/name.h"

namespace cxxdns::plugins::forward {

bool ForwardOptions::matches(std::string_view qname) const {
  if (!dns::is_subdomain(qname, from)) return false;
  if (qname == from) return true;
  for (const auto& z : except) {
    if (dns::is_subdomain(qname, z)) return false;
  }
  return true;
}

namespace {

bool parse_port(std::string_view s, uint16_t& port) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

// WHAT'TEXT', the form of parse_upstream's errors.
std::string quoted_error(std::string_view what, std::string_view text) {
  std::string e(what);
  e.append("'").append(text).append("'");
  return e;
}

// Removes a dns://, tls:// or https:// scheme from `s`; tls:// also sets out.tls and the port
// 853, https:// out.https and the port 443. False for any other scheme.
bool strip_scheme(std::string_view& s, Upstream& out, uint16_t& port) {
  if (s.size() > 6 && s.substr(0, 6) == "dns://") {
    s.remove_prefix(6);
    return true;
  }
  if (s.size() > 6 && s.substr(0, 6) == "tls://") {
    s.remove_prefix(6);
    out.tls = true;
    port = 853;
    return true;
  }
  if (s.size() > 8 && s.substr(0, 8) == "https://") {
    s.remove_prefix(8);
    out.https = true;
    port = 443;
    return true;
  }
  return s.find("://") == std::string_view::npos;
}

// "HOST", "HOST:PORT", "[HOST]" or "[HOST]:PORT" (a bare IPv6 address has several colons and
// no port); false when the brackets are wrong.
bool split_host_port(std::string_view s, std::string& host, std::string_view& port_text) {
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return true;
    if (rest[0] != ':') return false;
    port_text = rest.substr(1);
    return true;
  }
  if (std::count(s.begin(), s.end(), ':') == 1) {
    auto colon = s.find(':');
    host = std::string(s.substr(0, colon));
    port_text = s.substr(colon + 1);
    return true;
  }
  host = std::string(s);  // bare IPv4 or IPv6
  return true;
}

// out.addr and out.to ("1.2.3.4:53", "[::1]:53") for an IP address; false for anything else.
bool set_address(const std::string& host, uint16_t port, Upstream& out) {
  std::memset(&out.addr, 0, sizeof out.addr);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  char buf[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.addr_len = sizeof(sockaddr_in);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    out.to.assign(buf);
    out.to.append(":").append(std::to_string(port));
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.addr_len = sizeof(sockaddr_in6);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    out.to.assign("[").append(buf).append("]:").append(std::to_string(port));
    return true;
  }
  return false;
}

}  // namespace

std::string parse_upstream(std::string_view text, Upstream& out) {
  std::string_view s = text;
  uint16_t port = 53;
  if (!strip_scheme(s, out, port)) {
    std::string e = "unsupported protocol '";
    e.append(text.substr(0, text.find("://"))).append("://' in '").append(text).append("'");
    return e;
  }
  if (out.https) {
    // The URL's path: RFC 8484's /dns-query when none is written.
    const auto slash = s.find('/');
    out.doh_path = slash == std::string_view::npos ? "/dns-query" : std::string(s.substr(slash));
    if (slash != std::string_view::npos) s = s.substr(0, slash);
  }
  std::string host;
  std::string_view port_text;
  if (!split_host_port(s, host, port_text)) {
    return quoted_error("not an IP address or file: ", text);
  }
  if (out.tls) {
    // tls://IP%NAME: NAME is the server name to verify.
    if (auto pct = host.find('%'); pct != std::string::npos) {
      out.tls_servername = host.substr(pct + 1);
      host.resize(pct);
    }
  }
  if (!port_text.empty() || (!s.empty() && s.back() == ':')) {
    if (!parse_port(port_text, port)) return quoted_error("invalid port in ", text);
  }
  if (!set_address(host, port, out)) return quoted_error("not an IP address or file: ", text);
  if (out.tls) out.to.insert(0, "tls://");
  if (out.https) out.to.insert(0, "https://");
  return "";
}

bool read_resolv_conf(const std::string& path, std::vector<std::string>& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, value;
    if (!(ls >> key) || key != "nameserver" || !(ls >> value)) continue;
    out.push_back(value);
  }
  return true;
}

}  // namespace cxxdns::plugins::forward
