// The one place the core names plugins: the order in which a block's plugins run,
// whatever order the Corefile writes them in (CoreDNS's plugin.cfg, restricted to ours).
#pragma once

#include <span>
#include <string_view>

namespace cxxdns {

std::span<const std::string_view> plugin_order();
// Position of `name` in the order, or -1 for a name the order does not list.
int plugin_rank(std::string_view name);

}  // namespace cxxdns
