#include "plugins/forward/host_names.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/dns/message.h"
#include "core/dns/name.h"
#include "core/dns/writer.h"
#include "plugins/forward/options.h"
#include "plugins/forward/query_ids.h"

namespace cxxdns::plugins::forward {

namespace {

HostLookup& lookup_override() {
  static HostLookup f;
  return f;
}

bool host_name_chars(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  bool letter = false;
  for (char c : h) {
    if (std::isalpha(static_cast<unsigned char>(c))) letter = true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return letter && h.front() != '.' && h.find("..") == std::string_view::npos;
}

// A connected UDP socket to `server` ("IP", "IP:PORT", "[IPv6]:PORT"), or -1.
int connect_to(const std::string& server) {
  Upstream u;
  if (!parse_upstream(server, u).empty()) return -1;
  int fd = socket(u.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&u.addr), u.addr_len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One question to a connected socket; the A or AAAA records of the answer (in text).
bool ask(int fd, const dns::Name& qname, uint16_t qtype, RandomIds& ids,
         std::vector<std::string>& out) {
  std::vector<uint8_t> q;
  dns::MessageWriter w(q);
  dns::Header h;
  h.id = ids.next16();
  h.flags = dns::flag::RD;
  w.start(h);
  w.question(qname, qtype, dns::cls::IN);
  if (send(fd, q.data(), q.size(), 0) != static_cast<ssize_t>(q.size())) return false;
  uint8_t buf[4096];
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    if (poll(&p, 1, 2000) != 1) return false;  // timed out
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return false;  // refused
    std::span<const uint8_t> msg(buf, static_cast<size_t>(n));
    if (msg.size() < dns::kHeaderSize || dns::get16(buf) != h.id ||
        !dns::first_question_is(msg, qname, qtype, dns::cls::IN)) {
      continue;  // not ours
    }
    char text[INET6_ADDRSTRLEN];
    dns::walk_records(msg, [&](const dns::RecordRef& r) {
      if (r.section != dns::Section::answer || r.type != qtype) return true;
      const int af = qtype == dns::type::A ? AF_INET : AF_INET6;
      if (r.rdata_len == (af == AF_INET ? 4 : 16) &&
          inet_ntop(af, buf + r.rdata_offset, text, sizeof text)) {
        out.emplace_back(text);
      }
      return true;
    });
    return true;
  }
}

}  // namespace

bool parse_host_target(std::string_view text, HostTarget& out) {
  std::string_view s = text;
  out = HostTarget{};
  if (s.substr(0, 6) == "dns://") {
    s.remove_prefix(6);
  } else if (s.substr(0, 6) == "tls://") {
    s.remove_prefix(6);
    out.tls = true;
    out.port = 853;
  } else if (s.find("://") != std::string_view::npos) {
    return false;
  }
  std::string_view host = s;
  if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    std::string_view p = s.substr(colon + 1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) return false;
    out.port = static_cast<uint16_t>(v);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (!host_name_chars(host)) return false;
  out.host.assign(host);
  std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return true;
}

void set_system_lookup(HostLookup f) {
  lookup_override() = std::move(f);
}

std::vector<std::string> system_lookup(const std::string& host, std::string& err) {
  if (lookup_override()) return lookup_override()(host, err);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    err = gai_strerror(rc);
    return {};
  }
  std::vector<std::string> v4, v6;
  char text[INET6_ADDRSTRLEN];
  for (addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
      v4.emplace_back(text);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                sizeof text);
      v6.emplace_back(text);
    }
  }
  freeaddrinfo(res);
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

std::vector<std::string> dns_lookup(const std::vector<std::string>& servers,
                                    const std::string& host, std::string& err) {
  dns::Name qname;
  if (!dns::from_text(host + ".", qname)) {
    err = "invalid host name";
    return {};
  }
  RandomIds ids;
  for (const auto& server : servers) {
    int fd = connect_to(server);
    if (fd < 0) continue;
    std::vector<std::string> out;
    bool answered = ask(fd, qname, dns::type::A, ids, out);
    answered = ask(fd, qname, dns::type::AAAA, ids, out) || answered;
    close(fd);
    if (!out.empty()) return out;
    err = answered ? "no addresses" : "no answer from the resolvers";
  }
  if (err.empty()) err = "no usable resolver";
  return {};
}

std::vector<std::string> upstream_texts(const HostTarget& t,
                                        const std::vector<std::string>& addresses,
                                        bool name_for_tls) {
  std::vector<std::string> out;
  for (const auto& a : addresses) {
    std::string s = t.tls ? "tls://" : "";
    const bool v6 = a.find(':') != std::string::npos;
    if (v6) s += "[";
    s += a;
    if (t.tls && name_for_tls) s += "%" + t.host;
    if (v6) s += "]";
    s += ":" + std::to_string(t.port);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

}  // namespace cxxdns::plugins::forward
