// acl [ZONES...] { ACTION [type QTYPE...] [net SOURCE...] }, as CoreDNS's acl.
#include "core/plugin/setup.h"
#include "core/dns/text.h"
#include "core/plugin/registry.h"
#include "plugins/acl/acl.h"

void cxxdns_register_acl(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("acl", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<AclPolicy> policies;
    for (const auto& d : sc.directives()) {
      AclPolicy p;
      p.zones = cxxdns::pkg::Zones(sc.zones_from(d.args));
      for (const auto& line : d.block) {
        AclRule rule;
        const std::string& a = line.name.text;
        if (a == "allow")
          rule.action = AclAction::allow;
        else if (a == "block")
          rule.action = AclAction::block;
        else if (a == "filter")
          rule.action = AclAction::filter;
        else if (a == "drop")
          rule.action = AclAction::drop;
        else
          sc.error(line.name,
                   "unexpected token '" + a + "'; expect 'allow', 'block', 'filter' or 'drop'");
        enum { none, types, nets } mode = none;
        for (const auto& t : line.args) {
          if (t.text == "type") {
            mode = types;
          } else if (t.text == "net") {
            mode = nets;
          } else if (mode == types) {
            if (t.text == "*") continue;  // every type, as no type at all
            uint16_t qt = cxxdns::dns::type_from_name(t.text);
            if (qt == 0) sc.error(t, "unexpected token '" + t.text + "'; expect legal QTYPE");
            rule.types.push_back(qt);
          } else if (mode == nets) {
            if (t.text == "*") continue;
            auto n = cxxdns::pkg::IpPrefix::parse(t.text);
            if (!n) sc.error(t, "illegal CIDR notation '" + t.text + "'");
            rule.nets.push_back(*n);
          } else {
            sc.error(t, "unexpected token '" + t.text + "'; expect 'type' or 'net'");
          }
        }
        p.rules.push_back(std::move(rule));
      }
      policies.push_back(std::move(p));
    }
    return std::make_unique<Acl>(std::move(policies));
  });
}
