// A built configuration: every server block's plugins and chain, and the listeners with
// their zone routes. Built whole from a parsed Corefile, before anything is bound, so a
// bad Corefile never half-starts (and, on reload, never replaces a good one).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/corefile/corefile.h"
#include "core/dns/name.h"
#include "core/plugin/context.h"
#include "core/plugin/lifecycle.h"
#include "core/plugin/plugin.h"
#include "core/plugin/registry.h"
#include "core/plugin/transport_security.h"

namespace cxxdns {

// Server-wide things plugins of several blocks share; `shared` lets e.g. two blocks naming
// the same metrics address use one endpoint.
struct Config;
struct Services {
  std::string corefile_path;
  int workers = 1;
  std::map<std::string, std::shared_ptr<void>> shared;
  // Set by the server: re-read the Corefile and swap it in if it builds (the reload plugin).
  std::function<void()> request_reload;
  // 0 for the configuration the server started with, then one more for each reload.
  int generation = 0;
  // The whole configuration, set by build_config once built: for plugins that look at
  // every block from start() on (ready asks every plugin; prometheus lists them).
  const Config* config = nullptr;
};

// TCP connection timeouts, as CoreDNS's server defaults and its timeouts plugin:
// read (a started message must arrive whole), write (an answer must be taken), idle
// (nothing in flight and nothing being read).
struct TcpTimeouts {
  uint64_t read_ms = 3000;
  uint64_t write_ms = 5000;
  uint64_t idle_ms = 10000;
};

struct ListenerSpec;

// A condition a server block puts on the queries it takes (CoreDNS's FilterFunc, which the
// view plugin registers): of the blocks serving a query's zone on a listener, the query goes
// to the first one, in Corefile order, whose filters all accept it; `at` is the listener it
// came to. A filter runs on the worker, once per query routed past it: keep it cheap.
using BlockFilter = std::function<bool(QueryContext& ctx, const ListenerSpec& at)>;

struct BlockConfig {
  corefile::ServerBlock source;
  std::vector<BlockFilter> filters;         // all must accept a query for the block to take it
  TcpTimeouts tcp_timeouts;                 // the timeouts plugin sets them
  std::vector<std::string> bind_addresses;  // empty: every address
  // TLS for the block's tls:// and https:// keys (the tls plugin gives it); none: they are
  // served in the clear, as CoreDNS does (DNS over TCP, DNS over HTTP/1.1).
  std::shared_ptr<TransportSecurity> security;
  bool any_class = false;  // a plugin of the block answers classes other than IN (forward)
  std::vector<std::unique_ptr<Plugin>> plugins;  // in the global order
  Chain chain;
};

// The plugin of `block` that the Corefile names `name`, or null: CoreDNS's
// dnsserver.GetConfig(c).Handler(name). A plugin that works with another one of its block
// through an interface of plugins/pkg (autopath's @kubernetes, k8s_external) finds it so,
// from startup on, when the block's plugins are all made, and checks the interface with
// dynamic_cast.
Plugin* find_plugin(const BlockConfig& block, std::string_view name);

struct Route {
  dns::Name zone;  // lower-case
  std::string zone_text;
  const Chain* chain;
  const std::vector<BlockFilter>* filters;  // the block's; empty: it takes every query
};

// One address to listen on (UDP and TCP; TCP only for tls:// and https://) and the zones
// served there, longest first.
struct ListenerSpec {
  std::string address;  // "" = every address
  uint16_t port = 53;
  ListenerTransport transport = ListenerTransport::dns;
  // The TLS of the first block here that has one; null: no TLS on this listener.
  std::shared_ptr<TransportSecurity> security;
  std::vector<Route> routes;
  TcpTimeouts tcp_timeouts;  // the first block on this address that sets them wins
  // Some block here answers classes other than IN: without one, such queries are REFUSED
  // before any plugin runs (CoreDNS decides this per address, as here).
  bool any_class = false;

  // The block whose zone is the longest suffix of `qname` (lower-case), or nullptr. Blocks
  // with filters are passed over: without a query there is nothing to filter on (lookups a
  // plugin makes of another name go to the block that takes every query).
  const Route* route(const dns::Name& qname) const;
  // The block for the query in `ctx`: of the zones that hold its name, longest first, the
  // first block whose filters all accept it (CoreDNS's ServeDNS); nullptr when none does.
  const Route* route(QueryContext& ctx) const;
  std::string display() const;  // ".:53"-style, as CoreDNS prints at start
};

struct Config {
  std::vector<std::unique_ptr<BlockConfig>> blocks;
  std::vector<ListenerSpec> listeners;
  Services services;
  Lifecycle lifecycle;  // what the plugins registered at setup, in plugin order

  std::vector<Plugin*> plugins() const;
};

struct BuildOptions {
  uint16_t default_port = 53;
  int workers = 1;     // worker threads the server will run (plugins size per-worker state)
  int generation = 0;  // Services::generation of the configuration being built
  const Registry* registry = nullptr;  // default: Registry::default_registry()
};

// Builds from parsed blocks; throws corefile::ParseError or SetupError.
std::unique_ptr<Config> build_config(std::vector<corefile::ServerBlock> blocks,
                                     const std::string& corefile_path, const BuildOptions& opt);
// Parses then builds (unknown directives are Corefile errors with file:line).
std::unique_ptr<Config> load_config_text(std::string_view text, const std::string& name,
                                         const BuildOptions& opt);
std::unique_ptr<Config> load_config_file(const std::string& path, const BuildOptions& opt);

}  // namespace cxxdns
