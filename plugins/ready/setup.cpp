// ready [ADDRESS], as CoreDNS's ready.
#include "core/plugin/setup.h"
#include "core/http/address_arg.h"
#include "core/http/server.h"
#include "core/plugin/registry.h"
#include "plugins/ready/ready.h"

void cxxdns_register_ready(cxxdns::Registry& r) {
  r.add("ready", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    std::string addr = cxxdns::http::address_arg(sc, d, ":8181");
    if (d.has_block) sc.error(d.name, "ready takes no block");
    auto p = std::make_unique<cxxdns::plugins::Ready>(cxxdns::http::HttpServer::shared(addr),
                                                      sc.services());
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
