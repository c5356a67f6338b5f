// Limits no client can get around: the open-file limit the process runs with, and the caps
// on client TCP connections and on what one connection may hold, derived from it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cxxdns {

// What one worker allows its TCP clients (every listener of the worker together).
struct TcpLimits {
  int max_connections = 1000;
  // Connections from one client address; at the cap, its own longest-idle connection goes.
  int max_per_client = 250;
  int max_inflight_per_connection = 128;
  // Answer bytes written to a connection and not taken by the client yet: above `pause`, the
  // server stops reading the connection's queries; above `close`, it closes it (a client that
  // never reads cannot pin more than this).
  size_t queued_pause_bytes = 128 * 1024;
  size_t queued_close_bytes = 1024 * 1024;
};

// Client TCP connections for the whole process. 0 in a field: derive it from the open-file
// limit (see tcp_budget).
struct ServerLimits {
  int tcp_connections = 0;
  int tcp_per_client = 0;
};

// Raises the soft open-file limit to the hard limit, as Go (and so CoreDNS) does at start.
// Returns the soft limit in force afterwards.
uint64_t raise_open_file_limit();

// File descriptors kept out of reach of client connections, for upstream sockets (forward),
// files, listeners and the HTTP endpoints: a quarter of the limit, at least 256 and at most
// 16384.
uint64_t reserved_descriptors(uint64_t open_files);

// The process-wide defaults for a given open-file limit: client TCP connections take what the
// reserve leaves (at most 65536, at least 64); one client address at most an eighth of that
// (at least 32).
ServerLimits default_server_limits(uint64_t open_files);

// One worker's share of `l` (fields left 0 are taken from `defaults`).
TcpLimits worker_tcp_limits(const ServerLimits& l, const ServerLimits& defaults, int workers);

}  // namespace cxxdns
