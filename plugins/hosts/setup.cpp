// hosts [FILE [ZONES...]] { INLINE...; ttl SECONDS; no_reverse; reload DURATION;
// fallthrough [ZONES...] }, as CoreDNS's hosts.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/hosts/hosts.h"
#include "plugins/pkg/ip.h"

namespace {

bool looks_like_ip(const std::string& s) {
  return cxxdns::pkg::is_ip(std::string_view(s).substr(0, s.find('%')));  // fe80::1%eth0 too
}

}  // namespace

void cxxdns_register_hosts(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("hosts", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    HostsOptions o;
    o.path = "/etc/hosts";
    if (!d.args.empty()) o.path = d.args[0].text;
    o.zones = sc.zones_from(std::span(d.args).subspan(d.args.empty() ? 0 : 1));
    bool has_inline = false;
    for (const auto& line : d.block) {
      const std::string& opt = line.name.text;
      if (looks_like_ip(opt)) {
        if (line.args.empty()) sc.arg_error(line.name);
        o.inline_text += opt;
        for (auto& a : line.args) o.inline_text += " " + a.text;
        o.inline_text += "\n";
        has_inline = true;
      } else if (opt == "ttl") {
        if (line.args.size() != 1) sc.arg_error(line.name);
        o.ttl = static_cast<uint32_t>(sc.parse_uint(line.args[0], 1, 4294967295u));
      } else if (opt == "no_reverse") {
        if (!line.args.empty()) sc.arg_error(line.name);
        o.reverse = false;
      } else if (opt == "reload") {
        if (line.args.size() != 1) sc.arg_error(line.name);
        o.reload = sc.parse_duration(line.args[0]);
        if (o.reload.count() < 0)
          sc.error(line.args[0],
                   "invalid negative duration for reload '" + line.args[0].text + "'");
      } else if (opt == "fallthrough") {
        o.fallthrough = cxxdns::pkg::Fallthrough::parse(sc, line);
      } else {
        sc.unknown_property(line.name);
      }
    }
    // With inline entries and no FILE, CoreDNS still reads /etc/hosts; keep that, but
    // an explicit FILE that does not exist is only a warning, as there.
    (void)has_inline;
    auto p = std::make_unique<Hosts>(std::move(o), sc.services().workers);
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
