// etcd [ZONES...] { stubzones; fallthrough [ZONES...]; path PATH; endpoint ENDPOINT...;
// credentials USERNAME PASSWORD; tls [CERT KEY] [CACERT] }, as CoreDNS's etcd (`stubzones`,
// `debug` and `upstream` are accepted and ignored there too).
#include "core/plugin/setup.h"
#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "plugins/etcd/etcd.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::plugins::etcd::EtcdConfig;

void parse_endpoints(const SetupContext& sc, const Directive& line, EtcdConfig& cfg) {
  if (line.args.empty()) sc.arg_error(line.name);
  cfg.client.endpoints.clear();
  for (const auto& a : line.args) {
    // etcd's client takes HOST:PORT too; the scheme then follows `tls` (see parse()).
    bool schemeless = a.text.find("://") == std::string::npos;
    if (!schemeless && !a.text.starts_with("http://") && !a.text.starts_with("https://")) {
      sc.error(a, "etcd endpoint must be http://, https:// or HOST:PORT: '" + a.text + "'");
    }
    std::string e = a.text;
    while (e.ends_with('/')) e.pop_back();
    cfg.client.endpoints.push_back(e);
  }
}

void add_schemes(EtcdConfig& cfg, bool tls) {
  for (auto& e : cfg.client.endpoints) {
    if (e.find("://") == std::string::npos) e.insert(0, tls ? "https://" : "http://");
  }
}

// tls CERT KEY CACERT, as CoreDNS's NewTLSConfigFromArgs: CACERT alone, CERT KEY, or all three.
void parse_tls(const SetupContext& sc, const Directive& line, EtcdConfig& cfg) {
  const auto& a = line.args;
  if (a.size() > 3) sc.arg_error(line.name);
  if (a.size() == 1) cfg.client.ca_file = a[0].text;
  if (a.size() >= 2) cfg.client.cert_file = a[0].text, cfg.client.key_file = a[1].text;
  if (a.size() == 3) cfg.client.ca_file = a[2].text;
}

void parse_line(const SetupContext& sc, const Directive& line, EtcdConfig& cfg, bool& tls) {
  const std::string& opt = line.name.text;
  if (opt == "stubzones" || opt == "debug" || opt == "upstream") {
    return;  // ignored, as in CoreDNS
  }
  if (opt == "fallthrough") {
    cfg.fallthrough = cxxdns::pkg::Fallthrough::parse(sc, line);
  } else if (opt == "path") {
    if (line.args.empty()) sc.arg_error(line.name);
    cfg.path = line.args[0].text;
  } else if (opt == "endpoint") {
    parse_endpoints(sc, line, cfg);
  } else if (opt == "tls") {
    parse_tls(sc, line, cfg);
    tls = true;
  } else if (opt == "credentials") {
    if (line.args.empty()) sc.arg_error(line.name);
    if (line.args.size() != 2) {
      sc.error(line.name, "credentials requires 2 arguments, username and password");
    }
    cfg.client.username = line.args[0].text;
    cfg.client.password = line.args[1].text;
  } else {
    sc.unknown_property(line.name);
  }
}

EtcdConfig parse(const SetupContext& sc) {
  const auto& d = sc.only_one();
  EtcdConfig cfg;
  cfg.zones = sc.zones_from(d.args);
  bool tls = false;
  for (const auto& line : d.block) parse_line(sc, line, cfg, tls);
  add_schemes(cfg, tls);
  return cfg;
}

}  // namespace

void cxxdns_register_etcd(cxxdns::Registry& r) {
  using cxxdns::plugins::etcd::Etcd;
  r.add("etcd", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    auto p = std::make_unique<Etcd>(parse(sc), sc.services().workers, &sc.services());
    sc.on_startup([p = p.get()](cxxdns::ControlInfo&) { p->start(); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    sc.readiness([p = p.get()] { return p->ready(); });
    return p;
  });
}
