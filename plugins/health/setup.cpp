// health [ADDRESS] { lameduck DURATION }, as CoreDNS's health.
#include "core/plugin/setup.h"
#include "core/http/address_arg.h"
#include "core/http/server.h"
#include "core/plugin/registry.h"
#include "plugins/health/health.h"

void cxxdns_register_health(cxxdns::Registry& r) {
  r.add("health", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::string addr;
    std::chrono::nanoseconds lameduck{0};
    for (const auto& d : sc.directives()) {
      addr = cxxdns::http::address_arg(sc, d, addr);
      for (const auto& line : d.block) {
        if (line.name.text != "lameduck") sc.arg_error(line.name);
        if (line.args.size() != 1) sc.arg_error(line.name);
        std::chrono::nanoseconds l;
        if (!cxxdns::parse_go_duration(line.args[0].text, l)) {
          sc.error(line.args[0],
                   "unable to parse lameduck duration value: '" + line.args[0].text + "'");
        }
        lameduck = l;
      }
    }
    if (addr.empty()) addr = ":8080";
    auto p = std::make_unique<cxxdns::plugins::Health>(cxxdns::http::HttpServer::shared(addr),
                                                       lameduck, sc.services());
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    sc.lameduck([p = p.get()] { return p->lameduck_ms(); });
    return p;
  });
}
