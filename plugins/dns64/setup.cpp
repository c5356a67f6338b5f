// dns64 [PREFIX] [{ prefix PREFIX; translate_all; allow_ipv4 }], as CoreDNS's dns64. Every
// dns64 line of a block is read in turn: a later prefix replaces an earlier one.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/dns64/dns64.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Token;
using cxxdns::pkg::IpPrefix;

// An IPv6 network whose length RFC 6052 2.2 can embed an IPv4 address after: 32, 40, 48,
// 56, 64 or 96 (CoreDNS's parsePrefix and its messages).
IpPrefix parse_prefix(const SetupContext& sc, const Token& t) {
  auto p = IpPrefix::parse(t.text, true);
  if (!p) sc.error(t, "invalid CIDR address: " + t.text);
  if (p->addr.len != 16) {
    sc.error(t, "invalid netmask 32 IPv6 address: \"" + p->text() + "\"");
  }
  constexpr uint8_t kMin = 32, kMax = 96;
  if (p->prefix % 8 != 0 || p->prefix < kMin || p->prefix > kMax) {
    sc.error(t, "invalid prefix length \"" + p->text() + "\"");
  }
  return *p;
}

void parse_option(const SetupContext& sc, const cxxdns::corefile::Directive& line,
                  cxxdns::plugins::Dns64Config& cfg) {
  const std::string& opt = line.name.text;
  if (opt == "prefix") {
    if (line.args.size() != 1) sc.arg_error(line.name);
    cfg.prefix = parse_prefix(sc, line.args[0]);
  } else if (opt == "translate_all" || opt == "allow_ipv4") {
    if (!line.args.empty()) sc.arg_error(line.args[0]);
    (opt == "translate_all" ? cfg.translate_all : cfg.allow_ipv4) = true;
  } else {
    sc.unknown_property(line.name);
  }
}

cxxdns::plugins::Dns64Config parse(SetupContext& sc) {
  cxxdns::plugins::Dns64Config cfg;
  cfg.prefix = cxxdns::plugins::dns64_well_known_prefix();
  for (const auto& d : sc.directives()) {
    if (d.args.size() > 1) sc.arg_error(d.args[1]);
    if (d.args.size() == 1) cfg.prefix = parse_prefix(sc, d.args[0]);
    for (const auto& line : d.block) parse_option(sc, line, cfg);
  }
  cfg.labels = cxxdns::pkg::ServerLabels(sc);
  return cfg;
}

}  // namespace

void cxxdns_register_dns64(cxxdns::Registry& r) {
  r.add("dns64", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    return std::make_unique<cxxdns::plugins::Dns64>(parse(sc));
  });
}
