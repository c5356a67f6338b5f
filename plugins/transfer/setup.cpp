// transfer [ZONES...] { to ADDRESS... }, as CoreDNS's transfer.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/transfer/transfer.h"

namespace {

using cxxdns::plugins::TransferBlock;
using cxxdns::plugins::TransferTo;

TransferTo parse_to(const cxxdns::SetupContext& sc, const cxxdns::corefile::Token& t) {
  TransferTo to;
  if (t.text == "*") {
    to.any = true;
    return to;
  }
  if (t.text.find('/') != std::string::npos) {  // a network: allowed, never notified
    auto net = cxxdns::pkg::IpPrefix::parse(t.text, true);
    if (!net) sc.error(t, net.error());
    to.network = *net;
    return to;
  }
  auto ep = cxxdns::pkg::IpEndpoint::parse(t.text, 53);
  if (!ep) sc.error(t, "not an IP address or IP:port: '" + t.text + "'");
  to.endpoint = *ep;
  to.notify = true;
  to.network.addr = ep->addr;
  to.network.prefix = static_cast<uint8_t>(ep->addr.len * 8);
  return to;
}

TransferBlock parse_block(const cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& d) {
  TransferBlock b;
  b.zones = sc.zones_from(d.args);
  b.matcher = cxxdns::pkg::Zones(b.zones);
  for (const auto& line : d.block) {
    if (line.name.text != "to") sc.error(line.name, "unknown property \"" + line.name.text + "\"");
    if (line.args.empty()) sc.arg_error(line.name);
    for (const auto& a : line.args) b.to.push_back(parse_to(sc, a));
  }
  if (b.to.empty()) sc.error(d.name, "'to' is required");
  return b;
}

}  // namespace

void cxxdns_register_transfer(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("transfer", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<TransferBlock> blocks;
    for (const auto& d : sc.directives()) blocks.push_back(parse_block(sc, d));
    cxxdns::pkg::TransferHub& hub = cxxdns::pkg::transfer_hub(sc);
    auto p = std::make_unique<Transfer>(std::move(blocks), hub);
    hub.notifier = p.get();
    sc.on_startup([p = p.get()](cxxdns::ControlInfo&) { p->start(); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
