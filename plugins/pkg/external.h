// What k8s_external asks of the kubernetes plugin of its block, as CoreDNS's
// k8s_external.Externaler: the services an external name reaches, the reverse of their
// addresses, the name servers' addresses and the serial. kubernetes derives from this
// interface; k8s_external finds it in its block at startup (find_plugin) and checks it with
// dynamic_cast, so neither includes the other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/pkg/ip.h"

namespace cxxdns::pkg {

// One address (or host name) and port an external name reaches, as CoreDNS's msg.Service.
struct ExternalService {
  bool is_ip = true;
  IpAddress ip;          // when is_ip
  std::string hostname;  // otherwise: a load balancer's host name, absolute ("lb.example.com.")
  int32_t port = -1;     // -1: none (an address record only, no SRV)
  uint32_t ttl = 5;      // the provider's TTL (CoreDNS gives CNAME and SRV records this one)
  // The name SRV records point at for an address, relative to the external zone, lower case
  // ("web.prod", or "web-0.web.prod" for an endpoint of a headless service).
  std::string target;
};

class ExternalSource {
 public:
  // Each is asked while answering `ctx` (on its worker).
  // The services of `rel`, the query's name below the external zone (lower case, no final
  // dot: "web.prod", "_http._tcp.web.prod", "web-0.web.prod"). `headless`: endpoints of
  // headless services count too (k8s_external's `headless`). When `out` stays empty the
  // return is the rcode to answer: NXDOMAIN, or NOERROR for a name without data.
  virtual uint8_t external(QueryContext& ctx, std::string_view rel, bool headless,
                           std::vector<ExternalService>& out) = 0;
  // The services ("web.prod") one of whose external addresses is `ip`, for PTR queries.
  virtual void external_reverse(QueryContext& ctx, const IpAddress& ip,
                                std::vector<std::string>& out) = 0;
  // The addresses of the external zone's name server (the apex NS's glue): the external
  // addresses of the services whose endpoints are this server, else this server's own.
  virtual void external_addresses(QueryContext& ctx, std::vector<IpAddress>& out) = 0;
  // The serial of the zone's SOA.
  virtual uint32_t external_serial(QueryContext& ctx) = 0;

 protected:
  ~ExternalSource() = default;
};

}  // namespace cxxdns::pkg
