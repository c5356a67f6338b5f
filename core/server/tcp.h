// TCP: length-prefixed messages (RFC 1035 4.2.2, RFC 7766), several in flight per connection,
// answered as they finish; the same over TLS for tls:// listeners (RFC 7858), and HTTP/2 or
// HTTP/1.1 requests (RFC 8484) for https:// ones (TLS through OpenSSL memory BIOs on the
// worker's loop: no thread). What keeps one client from shutting others out, whatever the
// connection speaks:
//  * a deadline per message (read), per answer (write) and per idle spell, never restarted
//    by a byte: a connection that trickles bytes still has to finish a message in time;
//  * a cap on connections per worker and per client address; at a cap the connection idle
//    longest (no query in flight, no answer owed) is closed to admit the new one (RFC 7766
//    6.2.3), so a legitimate client always gets in;
//  * answers a client does not take are bounded in bytes: reading its queries stops, and a
//    connection owing more than TcpLimits::queued_close_bytes is closed. Answers are written
//    at once when the socket takes them, so the query's context (and its buffers) goes back
//    to the pool at once; only what the kernel did not take is copied and kept.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>

#include "core/server/limits.h"

namespace cxxdns {

struct TcpEndpoint;
class Worker;

// One worker's connections over all its listeners.
class TcpConnections;
struct TcpConnectionsDeleter {
  void operator()(TcpConnections* c) const;
};
using TcpConnectionsPtr = std::unique_ptr<TcpConnections, TcpConnectionsDeleter>;
TcpConnectionsPtr make_tcp_connections(Worker* worker, const TcpLimits& limits);

// Starts accepting on `fd` (a listening socket) for `ep`, whose `conns` must be set.
void start_tcp(uv_loop_t* loop, TcpEndpoint& ep, int fd);

// Shutdown: stops reading every connection and closes those that owe nothing; the others
// close once their answers are written.
void drain_tcp(TcpConnections& c);
// Connections open (not closing) now.
int tcp_open_connections(const TcpConnections& c);

}  // namespace cxxdns
