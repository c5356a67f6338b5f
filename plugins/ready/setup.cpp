// ready [ADDRESS], as CoreDNS's ready.
#include "core/plugin/setup.h"
#include "core/http/server.h"
#include "core/plugin/registry.h"
#include "plugins/ready/ready.h"

void cxxdns_register_ready(cxxdns::Registry& r) {
  r.add("ready", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    std::string addr = ":8181";
    if (d.args.size() > 1) sc.arg_error(d.args[1]);
    if (d.args.size() == 1) {
      addr = d.args[0].text;
      std::string host;
      uint16_t port;
      if (!cxxdns::http::split_host_port(addr, host, port)) {
        sc.error(d.args[0], "address " + addr + ": missing or bad port in address");
      }
    }
    if (d.has_block) sc.error(d.name, "ready takes no block");
    return std::make_unique<cxxdns::plugins::Ready>(cxxdns::http::HttpServer::shared(addr),
                                                    sc.services());
  });
}
