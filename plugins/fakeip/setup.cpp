// fakeip [ZONES...] { range CIDR; range6 CIDR; ttl SECONDS; filter NAME...;
// filter_file FILE; persist FILE; verify; fallthrough [ZONES...]; grace DURATION; size N;
// rate_limit PER_SECOND [BURST] }
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>

#include "core/plugin/config.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/fakeip/fakeip.h"

namespace {

using cxxdns::plugins::Cidr;
using cxxdns::plugins::FakePool;

Cidr parse_range(cxxdns::SetupContext& sc, const cxxdns::corefile::Token& t, int family) {
  Cidr c;
  std::string err = Cidr::parse(t.text, c);
  if (!err.empty()) sc.error(t, "invalid range '" + t.text + "': " + err);
  if (c.family != family) {
    sc.error(t, "invalid range '" + t.text + "': " +
                    (family == 4 ? "range takes an IPv4 CIDR" : "range6 takes an IPv6 CIDR"));
  }
  if (FakePool(c).capacity() < 2) {
    sc.error(t, "invalid range '" + t.text +
                    "': prefix too long, the range must hold at least 2 usable addresses");
  }
  return c;
}

// Relative paths are relative to the Corefile's directory, as CoreDNS's file arguments.
std::string resolve_path(cxxdns::SetupContext& sc, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  const std::string& cf = sc.services().corefile_path;
  size_t slash = cf.rfind('/');
  return slash == std::string::npos ? p : cf.substr(0, slash + 1) + p;
}

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::plugins::FakeipOptions;

void one_arg(const SetupContext& sc, const Directive& line) {
  if (line.args.size() != 1) sc.arg_error(line.name);
}

void read_filter_file(SetupContext& sc, const Directive& line, FakeipOptions& o) {
  one_arg(sc, line);
  std::string path = resolve_path(sc, line.args[0].text);
  std::ifstream in(path);
  if (!in) sc.error(line.args[0], "cannot read filter_file '" + path + "'");
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    size_t hash = text.find('#');
    if (hash != std::string::npos) text.resize(hash);
    size_t b = text.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    size_t e = text.find_last_not_of(" \t\r");
    std::string err = o.filter.add(std::string_view(text).substr(b, e - b + 1));
    if (!err.empty()) {
      std::string where = path;
      where.append(":").append(std::to_string(n)).append(": ").append(err);
      sc.error(line.args[0], where);
    }
  }
}

using Option = void (*)(SetupContext&, const Directive&, FakeipOptions&);

// One entry a property of the block.
const std::map<std::string, Option>& options() {
  static const std::map<std::string, Option> table = {
      {"range",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         one_arg(sc, line);
         o.range4 = parse_range(sc, line.args[0], 4);
       }},
      {"range6",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         one_arg(sc, line);
         o.range6 = parse_range(sc, line.args[0], 6);
         o.has_range6 = true;
       }},
      {"ttl",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         one_arg(sc, line);
         o.ttl = static_cast<uint32_t>(sc.parse_uint(line.args[0], 0, 2147483647u));
       }},
      {"filter",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         if (line.args.empty()) sc.arg_error(line.name);
         for (auto& a : line.args) {
           std::string err = o.filter.add(a.text);
           if (!err.empty()) sc.error(a, err);
         }
       }},
      {"filter_file", read_filter_file},
      {"persist",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         one_arg(sc, line);
         o.persist = resolve_path(sc, line.args[0].text);
       }},
      {"verify",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         if (!line.args.empty()) sc.arg_error(line.name);
         o.verify = true;
       }},
      {"grace",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         one_arg(sc, line);
         auto d = sc.parse_duration(line.args[0]);
         if (d.count() < 0) sc.error(line.args[0], "grace can not be negative");
         o.grace_s = static_cast<uint64_t>(std::chrono::ceil<std::chrono::seconds>(d).count());
       }},
      {"size",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         one_arg(sc, line);
         o.size = sc.parse_uint(line.args[0], 2, FakePool::kMaxSize);
       }},
      {"rate_limit",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         if (line.args.empty() || line.args.size() > 2) sc.arg_error(line.name);
         o.rate = static_cast<double>(sc.parse_uint(line.args[0], 0, 1000000));
         o.burst = line.args.size() > 1
                       ? static_cast<double>(sc.parse_uint(line.args[1], 1, 100000000))
                       : std::max(1.0, o.rate * 10);
       }},
      {"fallthrough",
       [](SetupContext& sc, const Directive& line, FakeipOptions& o) {
         o.fallthrough = cxxdns::pkg::Fallthrough::parse(sc, line);
       }},
  };
  return table;
}

}  // namespace

void cxxdns_register_fakeip(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("fakeip", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    FakeipOptions o;
    o.zones = sc.zones_from(d.args);
    Cidr::parse("198.18.0.0/15", o.range4);
    for (const auto& line : d.block) {
      auto it = options().find(line.name.text);
      if (it == options().end()) sc.unknown_property(line.name);
      it->second(sc, line, o);
    }
    auto p = std::make_unique<Fakeip>(std::move(o));
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
