// loadbalance [round_robin], as CoreDNS's loadbalance (its weighted policy is not here).
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/loadbalance/loadbalance.h"

void cxxdns_register_loadbalance(cxxdns::Registry& r) {
  r.add("loadbalance", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (!d.args.empty()) {
      const auto& policy = d.args[0];
      if (policy.text == "weighted") {
        sc.error(policy, "weighted policy is not supported by cxxdns, use round_robin");
      }
      if (policy.text != "round_robin") sc.error(policy, "unknown policy: " + policy.text);
      if (d.args.size() > 1) sc.arg_error(d.args[1]);
    }
    if (d.has_block) sc.error(d.name, "round_robin policy takes no block");
    return std::make_unique<cxxdns::plugins::LoadBalance>(sc.services().workers);
  });
}
