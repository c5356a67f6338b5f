#include <catch2/catch.hpp>

#include "core/server/limits.h"

using namespace cxxdns;

TEST_CASE("client TCP connections leave a reserve of descriptors", "[limits]") {
  // The common soft limit: 256 kept for upstream sockets, files and listeners.
  ServerLimits l = default_server_limits(1024);
  CHECK(l.tcp_connections == 768);
  CHECK(l.tcp_per_client == 96);
  // A quarter is kept, up to 16384; connections never more than 65536.
  CHECK(default_server_limits(20000).tcp_connections == 15000);
  CHECK(default_server_limits(1 << 20).tcp_connections == 65536);
  CHECK(reserved_descriptors(1 << 20) == 16384);
  // A tiny limit still admits a few, one client at least 32.
  CHECK(default_server_limits(100).tcp_connections == 64);
  CHECK(default_server_limits(100).tcp_per_client == 32);
}

TEST_CASE("each worker gets its share of the TCP limits", "[limits]") {
  ServerLimits defaults = default_server_limits(2048);  // 1536 connections, 192 a client
  TcpLimits t = worker_tcp_limits({}, defaults, 2);
  CHECK(t.max_connections == 768);
  CHECK(t.max_per_client == 96);
  // Flags win over the defaults; a client never gets more than the worker has.
  ServerLimits flags;
  flags.tcp_connections = 5;
  t = worker_tcp_limits(flags, defaults, 1);
  CHECK(t.max_connections == 5);
  CHECK(t.max_per_client == 5);
  flags.tcp_per_client = 4;
  t = worker_tcp_limits(flags, defaults, 3);
  CHECK(t.max_connections == 2);
  CHECK(t.max_per_client == 2);
}
