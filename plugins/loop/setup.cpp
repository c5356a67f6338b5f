// loop takes no arguments. The probe goes to the block's first address and port (127.0.0.1
// when the block listens on every address), for the block's first zone.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/loop/loop.h"

void cxxdns_register_loop(cxxdns::Registry& r) {
  r.add("loop", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (!d.args.empty()) sc.arg_error(d.args[0]);
    if (d.has_block) sc.error(d.name, "loop takes no block");
    const auto& key = sc.block().keys.front();
    std::string addr = "127.0.0.1";
    for (auto& a : sc.bind_addresses()) {
      if (a.find(':') == std::string::npos && a != "0.0.0.0") {
        addr = a;
        break;
      }
    }
    auto p = std::make_unique<cxxdns::plugins::Loop>(key.zone, addr, key.port.value_or(53));
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
