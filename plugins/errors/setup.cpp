// errors [{ consolidate DURATION REGEXP [LEVEL]; stacktrace }], as CoreDNS's errors.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/errors/errors.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;
using namespace cxxdns::plugins;

// CoreDNS accepts `errors stdout` (the only destination there is), and nothing else.
void check_destination(const SetupContext& sc, const Directive& d) {
  if (d.args.size() > 1 || (d.args.size() == 1 && d.args[0].text != "stdout")) {
    sc.arg_error(d.name);
  }
}

std::regex compile_pattern(const SetupContext& sc, const Token& t) {
  try {
    return std::regex(t.text, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    sc.error(t, "invalid regex '" + t.text + "': " + e.what());
  }
}

// LEVEL of `consolidate` (default error), as CoreDNS's.
std::string parse_level(const SetupContext& sc, const Directive& line) {
  if (line.args.size() < 3) return "error";
  const Token& t = line.args[2];
  if (t.text != "warning" && t.text != "error" && t.text != "info" && t.text != "debug") {
    sc.error(t, "unknown log level argument in consolidate: " + t.text);
  }
  return t.text;
}

// consolidate DURATION REGEXP [LEVEL]
ConsolidateRule parse_consolidate(const SetupContext& sc, const Directive& line) {
  if (line.args.size() < 2 || line.args.size() > 3) sc.arg_error(line.name);
  ConsolidateRule rule;
  rule.period = sc.parse_duration(line.args[0]);
  if (rule.period.count() <= 0) sc.error(line.args[0], "invalid duration: " + line.args[0].text);
  rule.pattern = line.args[1].text;
  rule.regex = compile_pattern(sc, line.args[1]);
  rule.level = parse_level(sc, line);
  return rule;
}

std::vector<ConsolidateRule> parse_rules(const SetupContext& sc, const Directive& d) {
  std::vector<ConsolidateRule> rules;
  for (const auto& line : d.block) {
    const std::string& opt = line.name.text;
    if (opt == "stacktrace" || opt == "panicRecoveryStacktrace") {
      if (!line.args.empty()) sc.arg_error(line.name);
      continue;  // C++ has no panics to recover; accepted for compatibility
    }
    if (opt != "consolidate") sc.unknown_property(line.name);
    rules.push_back(parse_consolidate(sc, line));
  }
  return rules;
}

}  // namespace

void cxxdns_register_errors(cxxdns::Registry& r) {
  r.add("errors", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    check_destination(sc, d);
    auto p = std::make_unique<Errors>(parse_rules(sc, d));
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
