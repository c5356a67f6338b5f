// autopath [ZONE...] RESOLV-CONF, as CoreDNS's autopath: RESOLV-CONF is a resolv.conf whose
// search list is the path, or @PLUGIN, a plugin of the block that gives each client's path
// (@kubernetes). ZONE defaults to the block's zones. The last autopath line of a block counts.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/autopath/autopath.h"
#include "plugins/pkg/resolv_conf.h"
#include "plugins/pkg/server_label.h"

namespace {

cxxdns::plugins::AutopathConfig parse(cxxdns::SetupContext& sc) {
  cxxdns::plugins::AutopathConfig cfg;
  for (const auto& d : sc.directives()) {
    if (d.args.empty()) sc.error(d.name, "no resolv-conf specified");
    if (!d.block.empty()) sc.unknown_property(d.block.front().name);
    const auto& resolv = d.args.back();
    cfg = {};
    if (resolv.text[0] == '@') {
      cfg.plugin = resolv.text.substr(1);
    } else {
      std::string err;
      if (!cxxdns::pkg::read_search_list(resolv.text, cfg.search, err)) {
        sc.error(resolv, "failed to parse \"" + resolv.text + "\": " + err);
      }
      cfg.search.emplace_back();  // the name as asked, last
    }
    cfg.zones = sc.zones_from(std::span(d.args).first(d.args.size() - 1));
  }
  cfg.server = cxxdns::pkg::first_server_label(sc);
  return cfg;
}

}  // namespace

void cxxdns_register_autopath(cxxdns::Registry& r) {
  r.add("autopath", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    auto p = std::make_unique<cxxdns::plugins::Autopath>(parse(sc));
    const cxxdns::BlockConfig* block = &sc.block_config();
    sc.on_startup([p = p.get(), block](cxxdns::ControlInfo&) { p->start(*block); });
    return p;
  });
}
