// A 127.0.0.1 port for a unit test to bind later (or to leave dead), safe from tests running
// side by side (ctest -j). The same rule as test/e2e/harness.py's free_port():
//  * below the kernel's ephemeral range, so no client socket (a forward's connect(), a kdig)
//    can be handed the port between the pick and the bind;
//  * claimed across processes by a file /tmp/cxxdns-test-ports/PORT holding the claimer's
//    PID; a claim whose process is gone is taken over.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

namespace cxxdns::test_support {

inline int lowest_ephemeral_port() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  if (!(in >> low)) low = 32768;
  return low;
}

// True when nothing is bound to port on 127.0.0.1, for UDP nor TCP.
inline bool loopback_port_is_free(uint16_t port) {
  for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (!ok) return false;
  }
  return true;
}

inline bool claim_port(uint16_t port) {
  const std::string dir = "/tmp/cxxdns-test-ports";
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/" + std::to_string(port);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const std::string pid = std::to_string(getpid());
      const bool written = write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
      close(fd);
      return written;
    }
    long owner = 0;
    std::ifstream(path) >> owner;
    if (owner == getpid()) return false;
    if (owner > 0 && access(("/proc/" + std::to_string(owner)).c_str(), F_OK) == 0) return false;
    unlink(path.c_str());  // its claimer is gone
  }
  return false;
}

// A port free for UDP and TCP, never the same twice in one process.
inline uint16_t claimed_port() {
  static std::set<uint16_t> handed_out;
  static std::mt19937 random{std::random_device{}()};
  const int high = std::max(lowest_ephemeral_port(), 10001);
  std::uniform_int_distribution<int> pick(10000, high - 1);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const auto port = static_cast<uint16_t>(pick(random));
    if (handed_out.count(port) || !loopback_port_is_free(port) || !claim_port(port)) continue;
    handed_out.insert(port);
    return port;
  }
  throw std::runtime_error("no free UDP+TCP port below the ephemeral range on 127.0.0.1");
}

}  // namespace cxxdns::test_support
