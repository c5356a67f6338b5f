#include "core/server/limits.h"

#include <sys/resource.h>

#include <algorithm>

namespace cxxdns {

uint64_t raise_open_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur == RLIM_INFINITY ? uint64_t(1) << 20 : uint64_t(rl.rlim_cur);
}

uint64_t reserved_descriptors(uint64_t open_files) {
  return std::clamp<uint64_t>(open_files / 4, 256, 16384);
}

ServerLimits default_server_limits(uint64_t open_files) {
  const uint64_t reserve = reserved_descriptors(open_files);
  uint64_t conns = open_files > reserve ? open_files - reserve : 0;
  conns = std::clamp<uint64_t>(conns, 64, 65536);
  ServerLimits l;
  l.tcp_connections = static_cast<int>(conns);
  l.tcp_per_client = static_cast<int>(std::max<uint64_t>(32, conns / 8));
  return l;
}

TcpLimits worker_tcp_limits(const ServerLimits& l, const ServerLimits& defaults, int workers) {
  workers = std::max(workers, 1);
  auto share = [&](int v, int dflt) {
    int total = v > 0 ? v : dflt;
    return std::max(1, (total + workers - 1) / workers);
  };
  TcpLimits t;
  t.max_connections = share(l.tcp_connections, defaults.tcp_connections);
  t.max_per_client = std::min(t.max_connections, share(l.tcp_per_client, defaults.tcp_per_client));
  return t;
}

}  // namespace cxxdns
