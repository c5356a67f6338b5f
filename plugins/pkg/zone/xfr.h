// A zone's records in transfer order (RFC 5936 2.2): the SOA, the apex's NS and their RRSIGs
// (in zone-file order, as CoreDNS sends them), every other name in canonical order, the SOA
// again; or the SOA alone for an IXFR from a client that is up to date.
#pragma once

#include <cstdint>

#include "plugins/pkg/transfer.h"
#include "plugins/pkg/zone/zone.h"

namespace cxxdns::pkg::zone {

// `serial`: 0 for AXFR, else the IXFR client's.
void emit_zone(const ZoneData& z, uint32_t serial, const XfrEmit& emit);

}  // namespace cxxdns::pkg::zone
