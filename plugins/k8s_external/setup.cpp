// k8s_external [ZONE...] [{ apex APEX; ttl TTL; headless; fallthrough [ZONES...] }], as
// CoreDNS's k8s_external. ZONE defaults to the block's zones. The last k8s_external line of a
// block counts.
#include <charconv>

#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/k8s_external/k8s_external.h"

namespace {

using cxxdns::plugins::ExternalConfig;

void parse_ttl(cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& line,
               ExternalConfig& cfg) {
  if (line.args.empty()) sc.arg_error(line.name);
  const std::string& t = line.args[0].text;
  long v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) {
    sc.error(line.args[0], "strconv.Atoi: parsing \"" + t + "\": invalid syntax");
  }
  if (v < 0 || v > 3600) {
    sc.error(line.args[0], "ttl must be in range [0, 3600]: " + std::to_string(v));
  }
  cfg.ttl = static_cast<uint32_t>(v);
}

void parse_option(cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& line,
                  ExternalConfig& cfg) {
  const std::string& opt = line.name.text;
  if (opt == "ttl") {
    parse_ttl(sc, line, cfg);
  } else if (opt == "apex") {
    if (line.args.empty()) sc.arg_error(line.name);
    cfg.apex = cxxdns::dns::canonical(line.args[0].text);
    cfg.apex.pop_back();  // a label (or labels), no final dot
  } else if (opt == "headless") {
    cfg.headless = true;
  } else if (opt == "fallthrough") {
    cfg.fallthrough = cxxdns::pkg::Fallthrough::parse(sc, line);
  } else {
    sc.unknown_property(line.name);
  }
}

ExternalConfig parse(cxxdns::SetupContext& sc) {
  ExternalConfig cfg;
  for (const auto& d : sc.directives()) {
    cfg = {};
    cfg.zones = sc.zones_from(d.args);
    for (const auto& line : d.block) parse_option(sc, line, cfg);
  }
  return cfg;
}

}  // namespace

void cxxdns_register_k8s_external(cxxdns::Registry& r) {
  r.add("k8s_external", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    auto p = std::make_unique<cxxdns::plugins::K8sExternal>(parse(sc));
    const cxxdns::BlockConfig* block = &sc.block_config();
    sc.on_startup([p = p.get(), block](cxxdns::ControlInfo&) { p->start(*block); });
    return p;
  });
}
