// Queries a plugin makes itself, through the plugins of a chain, answered to a callback
// instead of a client: a cache refresh (the plugins after the cache), the lookup of a CNAME
// target through the whole chain (CoreDNS's plugin/pkg/upstream). They run on the calling
// worker, with Transport::internal; the context is freed once the callback has returned.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "core/plugin/context.h"

namespace cxxdns {

// An internal query made while answering one this deep is answered SERVFAIL at once: a
// lookup that leads back to itself (a CNAME loop through the chain) ends there.
constexpr uint8_t kMaxInternalDepth = 8;

using InternalDone = std::function<void(QueryContext& answered)>;

// Sends `wire` through `chain` from plugin `pos`, asked by `client`, one level deeper than
// `parent_depth`; `done` gets the answered context (its response() and shape()).
void send_internal(WorkerInfo& worker, const Chain* chain, size_t pos,
                   std::span<const uint8_t> wire, const ClientAddress& client, uint8_t parent_depth,
                   InternalDone done);

}  // namespace cxxdns
