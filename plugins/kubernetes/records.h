// Record writers shared by the kubernetes plugin's answers: the zone's SOA, as CoreDNS makes
// it, and names joined without touching the heap (the query path).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/dns/name.h"
#include "core/dns/writer.h"
#include "plugins/kubernetes/index.h"

namespace cxxdns::plugins::k8s {

// `rel` + "." + `zone` as a wire name; `rel` ending in a dot is taken as absolute.
bool join(std::string_view rel, std::string_view zone, dns::Name& out);

// The zone's SOA, as CoreDNS's kubernetes plugin makes it (MNAME ns.dns.ZONE).
void write_soa(dns::MessageWriter& w, const ClusterIndex& x, std::string_view zone, uint32_t ttl);

}  // namespace cxxdns::plugins::k8s
