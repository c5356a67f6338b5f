// explain [NETWORKS...]: who may ask (default 127.0.0.0/8 and ::1).
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/explain/explain.h"

void cxxdns_register_explain(cxxdns::Registry& r) {
  r.add("explain", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    if (d.has_block) sc.error(d.name, "explain takes no block");
    std::vector<cxxdns::pkg::IpPrefix> allowed;
    for (const auto& a : d.args) {
      auto n = cxxdns::pkg::IpPrefix::parse(a.text);
      if (!n) sc.error(a, "not a network: '" + a.text + "'");
      allowed.push_back(*n);
    }
    if (allowed.empty()) {
      allowed.push_back(*cxxdns::pkg::IpPrefix::parse("127.0.0.0/8"));
      allowed.push_back(*cxxdns::pkg::IpPrefix::parse("::1"));
    }
    return std::make_unique<cxxdns::plugins::Explain>(std::move(allowed));
  });
}
