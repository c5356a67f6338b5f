// What a forwarding plugin tells a tapping plugin about each try with an upstream: CoreDNS's
// forward sends FORWARDER_QUERY and FORWARDER_RESPONSE messages through the block's dnstap
// plugins (plugin/forward/dnstap.go). The forwarder finds the tap with find_plugin and
// dynamic_cast at startup, so neither plugin includes the other's headers.
#pragma once

#include <cstdint>
#include <span>

namespace cxxdns {
class QueryContext;
}

namespace cxxdns::pkg {

struct ForwarderTry {
  std::span<const uint8_t> upstream_address;  // 4 or 16 bytes
  uint16_t upstream_port = 0;
  bool tcp = false;                   // the try went over a stream (TCP, TLS, HTTPS)
  uint64_t query_ns = 0;              // when it went out, unix time in ns
  std::span<const uint8_t> query;     // the message as sent
  std::span<const uint8_t> response;  // the upstream's answer; empty when none came
};

class MessageTap {
 public:
  // Called on the query's worker, once per try.
  virtual void tap_forwarder(QueryContext& ctx, const ForwarderTry& t) = 0;

 protected:
  ~MessageTap() = default;
};

}  // namespace cxxdns::pkg
