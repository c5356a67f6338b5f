// secondary [ZONES...] { transfer from ADDRESS...; fallthrough [ZONES...] }, as CoreDNS's
// secondary.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/secondary/secondary.h"

namespace {

using cxxdns::plugins::SecondaryEntry;

// `transfer from ADDRESS...` (CoreDNS's parse.TransferIn).
void parse_transfer(const cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& line,
                    SecondaryEntry& e) {
  if (line.args.size() < 2 || line.args[0].text != "from") sc.arg_error(line.name);
  for (size_t i = 1; i < line.args.size(); ++i) {
    auto ep = cxxdns::pkg::IpEndpoint::parse(line.args[i].text, 53);
    if (!ep) sc.error(line.args[i], "not an IP address or IP:port: '" + line.args[i].text + "'");
    e.primaries.push_back(*ep);
  }
}

SecondaryEntry parse_entry(const cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& d,
                           cxxdns::pkg::Fallthrough& fall) {
  SecondaryEntry e;
  e.zones = sc.zones_from(d.args);
  for (const auto& line : d.block) {
    if (line.name.text == "transfer") {
      parse_transfer(sc, line, e);
    } else if (line.name.text == "fallthrough") {
      fall = cxxdns::pkg::Fallthrough::parse(sc, line);
    } else {
      sc.unknown_property(line.name);
    }
  }
  if (e.primaries.empty()) sc.error(d.name, "secondary zones require a transfer from property");
  return e;
}

}  // namespace

void cxxdns_register_secondary(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("secondary", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<SecondaryEntry> entries;
    cxxdns::pkg::Fallthrough fall;
    for (const auto& d : sc.directives()) entries.push_back(parse_entry(sc, d, fall));
    cxxdns::pkg::TransferHub& hub = cxxdns::pkg::transfer_hub(sc);
    auto p = std::make_unique<Secondary>(entries, std::move(fall), sc.services(),
                                         sc.services().workers, hub);
    hub.transferers.push_back(p.get());
    sc.on_startup([p = p.get()](cxxdns::ControlInfo&) { p->start(); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
