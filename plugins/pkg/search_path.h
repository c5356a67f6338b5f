// What autopath asks of the plugin it names after '@' (`autopath @kubernetes`): the search
// path of the client that sent a query, as CoreDNS's autopath.AutoPather. A plugin offers
// it by deriving from this interface; autopath finds that plugin in its block at startup
// (find_plugin) and checks it with dynamic_cast, so neither includes the other.
#pragma once

#include <string>
#include <vector>

#include "core/plugin/context.h"

namespace cxxdns::pkg {

class SearchPathSource {
 public:
  // Fills `out` with the search path of the client of `ctx` for its query: canonical domains
  // ("default.svc.cluster.local."), in the client's order, then "" (the name as it is).
  // False (and `out` left empty) when autopath must leave the query alone: not a name of
  // this plugin, or a client it does not know.
  virtual bool search_path(QueryContext& ctx, std::vector<std::string>& out) = 0;

 protected:
  ~SearchPathSource() = default;
};

}  // namespace cxxdns::pkg
