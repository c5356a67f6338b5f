// CNAMEs etcd answers with whose targets lie outside the plugin's zone are followed through
// the server itself, as CoreDNS's etcd does with upstream.Lookup: the target's records of the
// query's type go right after the CNAME, so a stub resolver gets the whole chain.
#pragma once

#include <string_view>

#include "core/plugin/config.h"
#include "core/plugin/context.h"

namespace cxxdns::plugins::etcd {

// Whether the answer in ctx.response() has such a CNAME (outside `zone`, lower case).
bool has_outside_cname(const QueryContext& ctx, std::string_view zone);

// Defers the query, looks up each such target through the chain the server routes it to,
// and answers once all are back. `services` may be null (tests): the query's own chain.
Verdict follow_outside_cnames(QueryContext& ctx, std::string_view zone, const Services* services);

}  // namespace cxxdns::plugins::etcd
