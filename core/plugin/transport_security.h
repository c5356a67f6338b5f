// What a server block's listeners need to speak TLS (DNS over TLS, HTTPS, gRPC): a
// capability a plugin gives its block at setup (the tls plugin), that the core's stream
// listeners use. The core knows this interface only, never the plugin, as CoreDNS's
// dnsserver.Config.TLSConfig is filled by its tls plugin.
#pragma once

#include <cstdint>
#include <string_view>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace cxxdns {

// How a listener's connections are spoken, from the server block key's scheme: dns:// (UDP
// and TCP), tls:// (RFC 7858, TCP only), https:// (RFC 8484, TCP only) and grpc:// (CoreDNS's
// DnsService over HTTP/2, TCP only).
enum class ListenerTransport : uint8_t { dns, tls, https, grpc };

std::string_view transport_scheme(ListenerTransport t);  // "dns", "tls", "https", "grpc"

class TransportSecurity {
 public:
  virtual ~TransportSecurity() = default;
  // The server-side OpenSSL context for connections of a `t` listener, set up for it
  // (ALPN "dot" for tls, "h2" and "http/1.1" for https, "h2" for grpc). It lives as long as this
  // object.
  virtual ssl_ctx_st* server_context(ListenerTransport t) const = 0;
};

}  // namespace cxxdns
