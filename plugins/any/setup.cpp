// any: no arguments, no block, as CoreDNS's any.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/any/any.h"

void cxxdns_register_any(cxxdns::Registry& r) {
  r.add("any", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.directives().front();
    if (!d.args.empty()) sc.arg_error(d.args.front());
    if (!d.block.empty()) sc.unknown_property(d.block.front().name);
    return std::make_unique<cxxdns::plugins::Any>();
  });
}
