// What the server does with a query it has read, before any plugin, as CoreDNS's
// dnsserver.ServeDNS: the answers the core gives itself, then the chain of the block whose
// zone matches. The worker and the test API (testing.h) both go through it.
#pragma once

#include "core/dns/message.h"
#include "core/plugin/config.h"
#include "core/plugin/context.h"

namespace cxxdns {

// Answers, in this order: FORMERR or NOTIMP for what parse_query refused; REFUSED for a
// class other than IN when no block of `listener` serves other classes; BADVERS for an EDNS
// version above 0 (RFC 6891 6.1.3); REFUSED outside the listener's zones (or with no
// listener); else runs the zone's chain. Returns false when the query is dropped unanswered
// (no header, or a response): the caller then still owns the context.
bool dispatch(QueryContext& ctx, dns::QueryCheck check, const ListenerSpec* listener);

}  // namespace cxxdns
