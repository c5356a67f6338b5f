// UDP: recvmmsg batches in, sendmmsg batches out, on a raw non-blocking socket polled by libuv.
#pragma once

#include <uv.h>

#include <vector>

namespace cxxdns {

struct UdpEndpoint;
class QueryContext;

void start_udp(uv_loop_t* loop, UdpEndpoint& ep);
// Reads (and handles) what the socket holds now, as a readable event would.
void read_udp_now(UdpEndpoint& ep);
// Sends each context's response to its client (grouped by socket, one sendmmsg a group).
void send_udp_batch(const std::vector<QueryContext*>& batch);

}  // namespace cxxdns
