// log [NAMES...] [FORMAT] [{ class CLASSES...; minDuration DURATION }], as CoreDNS's log.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/log/log.h"

namespace {

std::string expand_format(std::string f) {
  using cxxdns::plugins::LogFormat;
  for (auto [token, value] : {std::pair{std::string_view("{common}"), LogFormat::kCommon},
                              std::pair{std::string_view("{combined}"), LogFormat::kCombined}}) {
    for (size_t at; (at = f.find(token)) != std::string::npos;) f.replace(at, token.size(), value);
  }
  return f;
}

}  // namespace

void cxxdns_register_log(cxxdns::Registry& r) {
  using namespace cxxdns::plugins;
  r.add("log", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<LogRule> rules;
    for (const auto& d : sc.directives()) {
      std::vector<cxxdns::corefile::Token> names(d.args.begin(), d.args.end());
      std::string format(LogFormat::kCommon);
      // With two or more arguments, a last one holding '{' is the format (CoreDNS's rule).
      if (names.size() >= 2 && names.back().text.find('{') != std::string::npos) {
        format = expand_format(names.back().text);
        names.pop_back();
      }
      std::vector<std::string> zones;
      if (names.empty())
        zones.push_back(".");
      else
        zones = sc.zones_from(names);
      uint8_t classes = 0;
      std::chrono::nanoseconds min_duration{0};
      for (const auto& line : d.block) {
        if (line.name.text == "class") {
          if (line.args.empty()) sc.arg_error(line.name);
          for (const auto& c : line.args) {
            if (c.text == "all")
              classes |= static_cast<uint8_t>(ResponseClass::all);
            else if (c.text == "success")
              classes |= static_cast<uint8_t>(ResponseClass::success);
            else if (c.text == "denial")
              classes |= static_cast<uint8_t>(ResponseClass::denial);
            else if (c.text == "error")
              classes |= static_cast<uint8_t>(ResponseClass::error);
            else
              sc.error(c, "unknown class: " + c.text);
          }
        } else if (line.name.text == "minDuration") {
          if (line.args.size() != 1) sc.arg_error(line.name);
          min_duration = sc.parse_duration(line.args[0]);
        } else {
          sc.unknown_property(line.name);
        }
      }
      if (classes == 0 && min_duration.count() == 0) {
        classes = static_cast<uint8_t>(ResponseClass::all);
      }
      for (auto& z : zones) {
        cxxdns::dns::Name zone;
        cxxdns::dns::from_text(z, zone);
        zone.to_lower();
        rules.push_back(LogRule{zone, LogFormat(format), classes, min_duration});
      }
    }
    return std::make_unique<Log>(std::move(rules));
  });
}
