// whoami takes no arguments.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/whoami/whoami.h"

void cxxdns_register_whoami(cxxdns::Registry& r) {
  r.add("whoami", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (!d.args.empty()) sc.arg_error(d.args.front());
    if (d.has_block) sc.error(d.name, "whoami takes no block");
    return std::make_unique<cxxdns::plugins::Whoami>();
  });
}
