#include "core/server/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/server/bind_capability.h"

namespace cxxdns {

namespace {

bool is_any(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return sa->sa_family == AF_INET6 &&
         IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
}

// A UDP socket bound to every address is told, for each datagram, the address it came to
// (IPv4 clients of a dual-stack socket as IPv4-mapped IPV6_PKTINFO), so that the answer
// leaves from that address.
void want_destination_address(int fd, int family) {
  int one = 1;
  if (family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  } else {
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  }
}

int open_socket(int family, int type, const sockaddr* sa, socklen_t len, std::string& err) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::strerror(errno);
    return -1;
  }
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (type == SOCK_DGRAM) {
    // Bigger kernel buffers absorb bursts between two turns of the event loop.
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    if (is_any(sa)) want_destination_address(fd, family);
  }
  if (::bind(fd, sa, len) != 0 || (type == SOCK_STREAM && ::listen(fd, 1024) != 0)) {
    int e = errno;
    err = std::strerror(e);
    if (e == EACCES) {  // sin_port and sin6_port are at the same offset
      err += privileged_port_hint(ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port));
    }
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool is_bound_to_any(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  return is_any(reinterpret_cast<const sockaddr*>(&ss));
}

BoundSockets bind_listener(const std::string& address, uint16_t port, bool udp) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string host = address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto set_v4 = [&](const char* h) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    len = sizeof *a;
    return inet_pton(AF_INET, h, &a->sin_addr) == 1;
  };
  auto set_v6 = [&](const char* h) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    len = sizeof *a;
    return inet_pton(AF_INET6, h, &a->sin6_addr) == 1;
  };
  std::string err;
  BoundSockets s;
  const int first_type = udp ? SOCK_DGRAM : SOCK_STREAM;
  int first = -1;
  if (host.empty()) {
    set_v6("::");
    first = open_socket(AF_INET6, first_type, reinterpret_cast<sockaddr*>(&ss), len, err);
    if (first < 0 && (err == std::strerror(EAFNOSUPPORT) || err == std::strerror(EADDRNOTAVAIL))) {
      set_v4("0.0.0.0");
      first = open_socket(AF_INET, first_type, reinterpret_cast<sockaddr*>(&ss), len, err);
    }
  } else if (set_v4(host.c_str()) || set_v6(host.c_str())) {
    first = open_socket(ss.ss_family, first_type, reinterpret_cast<sockaddr*>(&ss), len, err);
  } else {
    throw std::runtime_error("listen " + address + ":" + std::to_string(port) +
                             ": not an IP address");
  }
  if (!udp) {
    s.tcp = first;
  } else if ((s.udp = first) >= 0) {
    s.tcp = open_socket(ss.ss_family, SOCK_STREAM, reinterpret_cast<sockaddr*>(&ss), len, err);
    if (s.tcp < 0) ::close(s.udp);
  }
  if ((udp && s.udp < 0) || s.tcp < 0) {
    std::string shown =
        host.empty() ? "" : (host.find(':') != std::string::npos ? "[" + host + "]" : host);
    throw std::runtime_error("listen tcp/udp " + shown + ":" + std::to_string(port) +
                             ": bind: " + err);
  }
  return s;
}

}  // namespace cxxdns
