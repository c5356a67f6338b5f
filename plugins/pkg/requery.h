// A query of a plugin's own built from the one it is answering: another name (and type),
// the same ID, flags and EDNS record (size, DO, options). What CoreDNS's plugins get from
// r.Copy() with a new question or state.NewWithQuestion: autopath's search-path queries,
// k8s_external's lookups of CNAME targets.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dns/name.h"
#include "core/plugin/config.h"
#include "core/plugin/context.h"

namespace cxxdns::pkg {

// Writes into `out` the query of `ctx` asking `name` (the case is kept) and `qtype` in the
// query's class.
void requery(const QueryContext& ctx, const dns::Name& name, uint16_t qtype,
             std::vector<uint8_t>& out);

// The chain a client's query for `name` would reach on the listener that routes queries to
// `own` (the block of the query being answered), as CoreDNS's upstream lookups go through the
// server: null when no zone there holds `name` (REFUSED); `own` itself when the configuration
// is not known (a chain built alone) or no listener routes to `own`. template and etcd follow
// CNAME targets with it.
const Chain* route_from(const Services* services, const Chain* own, const dns::Name& name);

}  // namespace cxxdns::pkg
