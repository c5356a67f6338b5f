// debug: no arguments. Turns on [DEBUG] log lines (core/log) for as long as the
// configuration runs, as CoreDNS's debug sets log.D; it adds no plugin to the chain.
#include <memory>

#include "core/log/log.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"

void cxxdns_register_debug(cxxdns::Registry& r) {
  r.add("debug", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    for (const auto& d : sc.directives()) {
      if (!d.args.empty()) sc.arg_error(d.args.front());
      if (!d.block.empty()) sc.unknown_property(d.block.front().name);
    }
    // Counted in core/log: a reload that keeps debug on never turns it off in between, one
    // that drops it turns it off once the old configuration stops. A shutdown whose startup
    // did not run gives nothing back.
    auto started = std::make_shared<bool>(false);
    sc.on_startup([started](cxxdns::ControlInfo&) {
      cxxdns::log::debug_on();
      *started = true;
    });
    sc.on_shutdown([started] {
      if (*started) cxxdns::log::debug_off();
      *started = false;
    });
    return nullptr;
  });
}
