// hosts [FILE [ZONES...]] { INLINE...; ttl SECONDS; no_reverse; reload DURATION;
// fallthrough [ZONES...] }, as CoreDNS's hosts.
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/hosts/hosts.h"
#include "plugins/pkg/ip.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::plugins::HostsOptions;

bool looks_like_ip(const std::string& s) {
  return cxxdns::pkg::is_ip(std::string_view(s).substr(0, s.find('%')));  // fe80::1%eth0 too
}

// An inline entry, `ADDRESS NAME...`: one more line of hosts text.
void add_inline_entry(const SetupContext& sc, const Directive& line, HostsOptions& o) {
  if (line.args.empty()) sc.arg_error(line.name);
  o.inline_text += line.name.text;
  for (const auto& a : line.args) o.inline_text.append(" ").append(a.text);
  o.inline_text += "\n";
}

void parse_ttl(const SetupContext& sc, const Directive& line, HostsOptions& o) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  o.ttl = static_cast<uint32_t>(sc.parse_uint(line.args[0], 1, 4294967295u));
}

void parse_no_reverse(const SetupContext& sc, const Directive& line, HostsOptions& o) {
  if (!line.args.empty()) sc.arg_error(line.name);
  o.reverse = false;
}

void parse_reload(const SetupContext& sc, const Directive& line, HostsOptions& o) {
  if (line.args.size() != 1) sc.arg_error(line.name);
  o.reload = sc.parse_duration(line.args[0]);
  if (o.reload.count() < 0) {
    sc.error(line.args[0], "invalid negative duration for reload '" + line.args[0].text + "'");
  }
}

// One line of the block: an inline entry or an option.
void parse_line(const SetupContext& sc, const Directive& line, HostsOptions& o) {
  const std::string& opt = line.name.text;
  if (looks_like_ip(opt)) {
    add_inline_entry(sc, line, o);
  } else if (opt == "ttl") {
    parse_ttl(sc, line, o);
  } else if (opt == "no_reverse") {
    parse_no_reverse(sc, line, o);
  } else if (opt == "reload") {
    parse_reload(sc, line, o);
  } else if (opt == "fallthrough") {
    o.fallthrough = cxxdns::pkg::Fallthrough::parse(sc, line);
  } else {
    sc.unknown_property(line.name);
  }
}

HostsOptions parse(const SetupContext& sc) {
  const auto& d = sc.only_one();
  HostsOptions o;
  // With inline entries and no FILE, CoreDNS still reads /etc/hosts; keep that, but
  // an explicit FILE that does not exist is only a warning, as there.
  o.path = "/etc/hosts";
  if (!d.args.empty()) o.path = d.args[0].text;
  o.zones = sc.zones_from(std::span(d.args).subspan(d.args.empty() ? 0 : 1));
  for (const auto& line : d.block) parse_line(sc, line, o);
  return o;
}

}  // namespace

void cxxdns_register_hosts(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("hosts", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    auto p = std::make_unique<Hosts>(parse(sc), sc.services().workers);
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
