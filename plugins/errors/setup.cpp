// errors [{ consolidate DURATION REGEXP [LEVEL]; stacktrace }], as CoreDNS's errors.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/errors/errors.h"

void cxxdns_register_errors(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("errors", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const auto& d = sc.only_one();
    // CoreDNS accepts `errors stdout` (the only destination there is).
    if (d.args.size() > 1 || (d.args.size() == 1 && d.args[0].text != "stdout")) {
      sc.arg_error(d.name);
    }
    std::vector<ConsolidateRule> rules;
    for (const auto& line : d.block) {
      const std::string& opt = line.name.text;
      if (opt == "stacktrace" || opt == "panicRecoveryStacktrace") {
        if (!line.args.empty()) sc.arg_error(line.name);
        continue;  // C++ has no panics to recover; accepted for compatibility
      }
      if (opt != "consolidate") sc.unknown_property(line.name);
      if (line.args.size() < 2 || line.args.size() > 3) sc.arg_error(line.name);
      ConsolidateRule rule;
      rule.period = sc.parse_duration(line.args[0]);
      if (rule.period.count() <= 0)
        sc.error(line.args[0], "invalid duration: " + line.args[0].text);
      rule.pattern = line.args[1].text;
      try {
        rule.regex = std::regex(rule.pattern, std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error& e) {
        sc.error(line.args[1], "invalid regex '" + rule.pattern + "': " + e.what());
      }
      rule.level = line.args.size() == 3 ? line.args[2].text : "error";
      if (rule.level != "warning" && rule.level != "error" && rule.level != "info" &&
          rule.level != "debug") {
        sc.error(line.args[2], "unknown log level argument in consolidate: " + rule.level);
      }
      rules.push_back(std::move(rule));
    }
    auto p = std::make_unique<Errors>(std::move(rules));
    sc.on_startup([p = p.get()](cxxdns::ControlInfo& c) { p->start(c); });
    sc.on_shutdown([p = p.get()] { p->stop(); });
    return p;
  });
}
