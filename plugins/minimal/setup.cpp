// minimal: no arguments, as CoreDNS's minimal.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/minimal/minimal.h"

void cxxdns_register_minimal(cxxdns::Registry& r) {
  r.add("minimal", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.directives().front();
    if (!d.args.empty()) sc.arg_error(d.args.front());
    if (!d.block.empty()) sc.unknown_property(d.block.front().name);
    return std::make_unique<cxxdns::plugins::Minimal>();
  });
}
