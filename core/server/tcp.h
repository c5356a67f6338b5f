// TCP: length-prefixed messages (RFC 1035 4.2.2, RFC 7766), several in flight per connection,
// answered as they finish; idle connections closed; a cap on connections per worker.
#pragma once

#include <uv.h>

namespace cxxdns {

struct TcpEndpoint;

void start_tcp(uv_loop_t* loop, TcpEndpoint& ep, int fd);

}  // namespace cxxdns
