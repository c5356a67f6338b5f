// acl [ZONES...] { ACTION [type QTYPE...] [net SOURCE...] }, as CoreDNS's acl.
#include "core/plugin/setup.h"
#include "core/dns/text.h"
#include "core/plugin/registry.h"
#include "plugins/acl/acl.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;
using namespace cxxdns::plugins;

// The rule line's name: allow, block, filter or drop.
AclAction parse_action(const SetupContext& sc, const Token& t) {
  const std::string& a = t.text;
  if (a == "allow") return AclAction::allow;
  if (a == "block") return AclAction::block;
  if (a == "filter") return AclAction::filter;
  if (a == "drop") return AclAction::drop;
  sc.error(t, "unexpected token '" + a + "'; expect 'allow', 'block', 'filter' or 'drop'");
}

// A value after `type`: a QTYPE, or `*` for every type (as no type at all).
void add_type(const SetupContext& sc, const Token& t, AclRule& rule) {
  if (t.text == "*") return;
  uint16_t qt = cxxdns::dns::type_from_name(t.text);
  if (qt == 0) sc.error(t, "unexpected token '" + t.text + "'; expect legal QTYPE");
  rule.types.push_back(qt);
}

// A value after `net`: a source prefix, or `*` for every source.
void add_net(const SetupContext& sc, const Token& t, AclRule& rule) {
  if (t.text == "*") return;
  auto n = cxxdns::pkg::IpPrefix::parse(t.text);
  if (!n) sc.error(t, "illegal CIDR notation '" + t.text + "'");
  rule.nets.push_back(*n);
}

// ACTION [type QTYPE...] [net SOURCE...]: `type` and `net` say what the values after them
// are, and may come in any order, more than once.
AclRule parse_rule(const SetupContext& sc, const Directive& line) {
  AclRule rule;
  rule.action = parse_action(sc, line.name);
  enum class Mode { none, types, nets } mode = Mode::none;
  for (const auto& t : line.args) {
    if (t.text == "type") {
      mode = Mode::types;
    } else if (t.text == "net") {
      mode = Mode::nets;
    } else if (mode == Mode::types) {
      add_type(sc, t, rule);
    } else if (mode == Mode::nets) {
      add_net(sc, t, rule);
    } else {
      sc.error(t, "unexpected token '" + t.text + "'; expect 'type' or 'net'");
    }
  }
  return rule;
}

AclPolicy parse_policy(const SetupContext& sc, const Directive& d) {
  AclPolicy p;
  p.zones = cxxdns::pkg::Zones(sc.zones_from(d.args));
  for (const auto& line : d.block) p.rules.push_back(parse_rule(sc, line));
  return p;
}

}  // namespace

void cxxdns_register_acl(cxxdns::Registry& r) {
  r.add("acl", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<AclPolicy> policies;
    for (const auto& d : sc.directives()) policies.push_back(parse_policy(sc, d));
    return std::make_unique<Acl>(std::move(policies));
  });
}
