// local [{ localhost_prefix on|off }], as CoreDNS's local. Only the first local line of a
// block counts.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/local/local.h"

void cxxdns_register_local(cxxdns::Registry& r) {
  r.add("local", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.directives().front();
    if (!d.args.empty()) sc.arg_error(d.args.front());
    bool prefix = true;
    for (const auto& line : d.block) {
      if (line.name.text != "localhost_prefix") sc.unknown_property(line.name);
      if (line.args.size() != 1) sc.arg_error(line.name);
      const std::string& v = line.args[0].text;
      if (v != "on" && v != "off") {
        sc.error(line.args[0], "localhost_prefix expects 'on' or 'off', got \"" + v + "\"");
      }
      prefix = v == "on";
    }
    return std::make_unique<cxxdns::plugins::Local>(prefix);
  });
}
