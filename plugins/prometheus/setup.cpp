// prometheus [ADDRESS], as CoreDNS's metrics plugin (default localhost:9153).
#include "core/plugin/setup.h"
#include "core/http/address_arg.h"
#include "core/http/server.h"
#include "core/plugin/registry.h"
#include "plugins/prometheus/prometheus.h"

void cxxdns_register_prometheus(cxxdns::Registry& r) {
  r.add("prometheus", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    std::string addr = cxxdns::http::address_arg(sc, d, "localhost:9153");
    if (d.has_block) sc.error(d.name, "prometheus takes no block");
    std::vector<cxxdns::plugins::PrometheusZone> zones;
    for (const auto& k : sc.block().keys) {
      cxxdns::plugins::PrometheusZone z;
      if (!cxxdns::dns::from_text(k.zone, z.name)) sc.error(k.token, "bad zone '" + k.zone + "'");
      z.name.to_lower();
      z.text = k.zone;
      z.port = k.port.value_or(53);
      z.transport = k.transport;
      zones.push_back(std::move(z));
    }
    auto p = std::make_unique<cxxdns::plugins::Prometheus>(
        cxxdns::http::HttpServer::shared(addr), sc.services(), std::move(zones),
        &sc.bind_addresses(), &sc.block_config());
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
