#include "core/plugin/config.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <tuple>

#include "core/plugin/setup.h"

namespace cxxdns {

const Route* ListenerSpec::route(const dns::Name& qname) const {
  for (const Route& r : routes) {
    if (r.filters->empty() && dns::is_subdomain(qname, r.zone)) return &r;
  }
  return nullptr;
}

const Route* ListenerSpec::route(QueryContext& ctx) const {
  const dns::Name& qname = ctx.q().qname_lower;
  for (const Route& r : routes) {
    if (!dns::is_subdomain(qname, r.zone)) continue;
    bool taken = true;
    for (const BlockFilter& f : *r.filters) {
      if (!f(ctx, *this)) {
        taken = false;
        break;
      }
    }
    if (taken) return &r;
  }
  return nullptr;
}

std::string ListenerSpec::display() const {
  std::string out;
  for (size_t i = 0; i < routes.size(); ++i) {
    if (i) out += " ";
    out += routes[i].zone_text + ":" + std::to_string(port);
  }
  if (!address.empty()) out += " on " + address;
  return out;
}

std::string_view transport_scheme(ListenerTransport t) {
  switch (t) {
    case ListenerTransport::tls:
      return "tls";
    case ListenerTransport::https:
      return "https";
    case ListenerTransport::grpc:
      return "grpc";
    case ListenerTransport::dns:
      break;
  }
  return "dns";
}

Plugin* find_plugin(const BlockConfig& block, std::string_view name) {
  for (auto& p : block.plugins) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

std::vector<Plugin*> Config::plugins() const {
  std::vector<Plugin*> out;
  for (auto& b : blocks) {
    for (auto& p : b->plugins) out.push_back(p.get());
  }
  return out;
}

namespace {

corefile::ParseOptions parse_options(const Registry& reg) {
  corefile::ParseOptions po;
  po.is_directive = [&reg](std::string_view name) { return reg.find(name) != nullptr; };
  return po;
}

const Registry& registry_of(const BuildOptions& opt) {
  const Registry* r = opt.registry ? opt.registry : Registry::default_registry();
  if (!r) throw std::logic_error("no plugin registry: Registry::set_default was not called");
  return *r;
}

// Builds one block's plugins in the registry's order.
void build_block(BlockConfig& block, const Registry& reg, Services& services,
                 Lifecycle& lifecycle) {
  std::map<int, std::vector<corefile::Directive>> by_rank;
  std::map<int, std::string> names;
  for (auto& d : block.source.directives) {
    int rank = reg.rank(d.name.text);
    if (rank < 0) {
      throw corefile::ParseError(d.name.file, d.name.line,
                                 "Unknown directive '" + d.name.text + "'");
    }
    by_rank[rank].push_back(d);
    names[rank] = d.name.text;
  }
  for (auto& [rank, dirs] : by_rank) {
    if (reg.any_class(names[rank])) block.any_class = true;
    SetupContext sc(names[rank], dirs, block, services, lifecycle);
    std::unique_ptr<Plugin> p = (*reg.find(names[rank]))(sc);
    if (p) block.plugins.push_back(std::move(p));
  }
  for (auto& p : block.plugins) block.chain.plugins.push_back(p.get());
}

}  // namespace

namespace {

ListenerTransport transport_of(const corefile::ServerKey& k) {
  if (k.transport == "tls") return ListenerTransport::tls;
  if (k.transport == "https") return ListenerTransport::https;
  if (k.transport == "grpc") return ListenerTransport::grpc;
  return ListenerTransport::dns;
}

// Each key's transport must be one cxxdns serves; a key without a port takes its
// transport's default, as CoreDNS: dns the -dns.port flag's, tls 853, https and grpc 443.
void check_keys(corefile::ServerBlock& sb, uint16_t default_port) {
  for (auto& k : sb.keys) {
    if (k.transport != "dns" && k.transport != "tls" && k.transport != "https" &&
        k.transport != "grpc") {
      throw corefile::ParseError(k.token.file, k.token.line,
                                 "transport " + k.transport + ":// is not supported");
    }
    if (!k.port) {
      const ListenerTransport t = transport_of(k);
      k.port = t == ListenerTransport::tls     ? 853
               : t == ListenerTransport::https ? 443
               : t == ListenerTransport::grpc  ? 443
                                               : default_port;
    }
  }
}

// The route of key `k` to block `b` on listener `l`. A zone served twice there is an error,
// unless every block before that serves it has filters (views): as CoreDNS, a block without
// filters takes all the queries left, so nothing may follow it.
void add_route(ListenerSpec& l, const corefile::ServerKey& k, const BlockConfig& b) {
  for (auto& r : l.routes) {
    if (r.zone_text == k.zone && r.filters->empty()) {
      throw corefile::ParseError(k.token.file, k.token.line,
                                 "cannot serve " + k.transport + "://" + k.zone + ":" +
                                     std::to_string(*k.port) + " - it is already defined");
    }
  }
  Route r;
  if (!dns::from_text(k.zone, r.zone)) {
    throw corefile::ParseError(k.token.file, k.token.line, "bad zone '" + k.zone + "'");
  }
  r.zone.to_lower();
  r.zone_text = k.zone;
  r.chain = &b.chain;
  r.filters = &b.filters;
  l.routes.push_back(std::move(r));
}

// One listener per (address, port), each with its zones longest first.
std::vector<ListenerSpec> listeners_of(const std::vector<std::unique_ptr<BlockConfig>>& blocks) {
  std::map<std::pair<std::string, uint16_t>, ListenerSpec> listeners;
  for (auto& b : blocks) {
    std::vector<std::string> addrs = b->bind_addresses;
    if (addrs.empty()) addrs.emplace_back();
    for (auto& k : b->source.keys) {
      for (auto& a : addrs) {
        ListenerSpec& l = listeners[{a, *k.port}];
        const ListenerTransport t = transport_of(k);
        if (l.routes.empty()) {
          l.tcp_timeouts = b->tcp_timeouts;
          l.transport = t;
        } else if (l.transport != t) {
          // One port, one way of speaking: its TCP socket cannot be both.
          throw corefile::ParseError(k.token.file, k.token.line,
                                     "cannot serve " + k.transport + "://" + k.zone + ":" +
                                         std::to_string(*k.port) + " - the port is already " +
                                         std::string(transport_scheme(l.transport)) + "://");
        }
        if (!l.security && t != ListenerTransport::dns) l.security = b->security;
        l.address = a;
        l.port = *k.port;
        l.any_class = l.any_class || b->any_class;
        add_route(l, k, *b);
      }
    }
  }
  std::vector<ListenerSpec> out;
  for (auto& [_, l] : listeners) {
    std::stable_sort(l.routes.begin(), l.routes.end(),
                     [](const Route& a, const Route& b) { return a.zone.len > b.zone.len; });
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

std::unique_ptr<Config> build_config(std::vector<corefile::ServerBlock> blocks,
                                     const std::string& corefile_path, const BuildOptions& opt) {
  const Registry& reg = registry_of(opt);
  auto cfg = std::make_unique<Config>();
  cfg->services.corefile_path = corefile_path;
  cfg->services.workers = opt.workers < 1 ? 1 : opt.workers;
  cfg->services.generation = opt.generation;
  for (auto& sb : blocks) {
    check_keys(sb, opt.default_port);
    auto b = std::make_unique<BlockConfig>();
    b->source = std::move(sb);
    build_block(*b, reg, cfg->services, cfg->lifecycle);
    cfg->blocks.push_back(std::move(b));
  }
  cfg->listeners = listeners_of(cfg->blocks);
  cfg->services.config = cfg.get();
  return cfg;
}

std::unique_ptr<Config> load_config_text(std::string_view text, const std::string& name,
                                         const BuildOptions& opt) {
  const Registry& reg = registry_of(opt);
  return build_config(corefile::parse(text, name, parse_options(reg)), name, opt);
}

std::unique_ptr<Config> load_config_file(const std::string& path, const BuildOptions& opt) {
  const Registry& reg = registry_of(opt);
  return build_config(corefile::parse_file(path, parse_options(reg)), path, opt);
}

}  // namespace cxxdns
