// Answering a query from a zone, for the plugins that serve whole zones (file, secondary):
// the lookup, the answer written from the stored records, and, when a CNAME leaves the
// zone, the lookup of its target through the server (CoreDNS's plugin/pkg/upstream: the
// query goes to the server block whose zone holds the target, as a client's would).
#pragma once

#include <memory>
#include <string_view>

#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "core/plugin/snapshot.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/zone/zone.h"

namespace cxxdns::pkg::zone {

struct Waiting;  // a deferred answer (serve.cpp)

class ZoneServer {
 public:
  // `plugin`: the directive name, for trace notes.
  ZoneServer(std::string_view plugin, const Services& services)
      : plugin_(plugin), services_(services) {}

  // Answers `ctx` (a name of the zone `data` holds; `data` is `snap`'s version for this
  // worker). AXFR and IXFR are REFUSED: the transfer plugin, before this one, answers those
  // it is configured for. An NXDOMAIN goes to the next plugin instead when `fall` says so.
  Verdict serve(QueryContext& ctx, const ZoneData& data, Snapshot<ZoneData>& snap,
                const Fallthrough& fall) const;

 private:
  Verdict lookup_target(QueryContext& ctx, const Chain* chain,
                        const std::shared_ptr<Waiting>& waiting) const;

  std::string_view plugin_;
  const Services& services_;
};

}  // namespace cxxdns::pkg::zone
