#include "core/plugin/order.h"

#include <algorithm>
#include <array>

namespace cxxdns {

namespace {
// fakeip sits after the answering plugins and before loop/forward, so cluster and host
// names are answered before anything is faked (DESIGN.md).
constexpr std::array<std::string_view, 23> kOrder = {
    "timeouts",   "reload", "bufsize", "bind",        "explain", "ready",  "health",   "prometheus",
    "errors",     "log",    "acl",     "loadbalance", "rewrite", "cache",  "template", "hosts",
    "kubernetes", "file",   "fakeip",  "loop",        "forward", "whoami", "erratic"};
}  // namespace

std::span<const std::string_view> plugin_order() {
  return kOrder;
}

int plugin_rank(std::string_view name) {
  auto it = std::find(kOrder.begin(), kOrder.end(), name);
  return it == kOrder.end() ? -1 : static_cast<int>(it - kOrder.begin());
}

}  // namespace cxxdns
