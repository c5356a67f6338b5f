// The state-file source: `kubectl get namespaces,services,endpointslices,pods -A -o json`
// output (a v1 List; v1 Endpoints are read too) turned into a ClusterState.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

#include "plugins/kubernetes/cluster_state.h"

namespace cxxdns::plugins::k8s {

// Parses `text`; on failure returns false and sets `error` ("line 3, column 7: ...").
bool parse_state(std::string_view text, ClusterState& out, std::string& error);

// Appends the DNS fields of one API object to `out` (the API source's unit: a list item or a
// watch event's object, which carry no "kind", hence `kind`: "Service", "Pod"...).
bool parse_object(const nlohmann::json& item, std::string_view kind, ClusterState& out,
                  std::string& error);

}  // namespace cxxdns::plugins::k8s
