// Zone transfers in (RFC 5936), for the secondary plugin: the primary's SOA serial, and the
// whole zone by AXFR, each over a TCP connection of its own. Blocking, with timeouts: run on
// a thread of the plugin's own, never on a loop. `stop` (may be null) cuts any wait short.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/dns/name.h"
#include "plugins/pkg/ip.h"
#include "plugins/pkg/zone/zone.h"

namespace cxxdns::pkg::zone {

struct XfrInResult {
  std::unique_ptr<ZoneData> zone;  // null on failure
  std::string error;
  size_t records = 0;
};

// The serial of `zone`'s SOA at `server` (an SOA query over TCP, as CoreDNS's secondary
// asks, "to minimize spoofing"); false with `error` when it gives none.
bool query_serial(const IpEndpoint& server, const dns::Name& zone, uint32_t& serial,
                  std::string& error, const std::atomic<bool>* stop);

// The whole zone from `server` by AXFR.
XfrInResult axfr_in(const IpEndpoint& server, const dns::Name& zone, const std::atomic<bool>* stop);

}  // namespace cxxdns::pkg::zone
