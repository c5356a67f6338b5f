// log [NAMES...] [FORMAT] [{ class CLASSES...; minDuration DURATION }], as CoreDNS's log.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/log/log.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::corefile::Token;
using namespace cxxdns::plugins;

std::string expand_format(std::string f) {
  for (auto [token, value] : {std::pair{std::string_view("{common}"), LogFormat::kCommon},
                              std::pair{std::string_view("{combined}"), LogFormat::kCombined}}) {
    for (size_t at; (at = f.find(token)) != std::string::npos;) f.replace(at, token.size(), value);
  }
  return f;
}

// One value of `class`: all, success, denial or error.
uint8_t class_bits(const SetupContext& sc, const Token& c) {
  if (c.text == "all") return static_cast<uint8_t>(ResponseClass::all);
  if (c.text == "success") return static_cast<uint8_t>(ResponseClass::success);
  if (c.text == "denial") return static_cast<uint8_t>(ResponseClass::denial);
  if (c.text == "error") return static_cast<uint8_t>(ResponseClass::error);
  sc.error(c, "unknown class: " + c.text);
}

// What a directive's block says to log: responses of some classes, and those slower than
// min_duration.
struct LogFilter {
  uint8_t classes = 0;
  std::chrono::nanoseconds min_duration{0};
};

void parse_block_line(const SetupContext& sc, const Directive& line, LogFilter& f) {
  if (line.name.text == "class") {
    if (line.args.empty()) sc.arg_error(line.name);
    for (const auto& c : line.args) f.classes |= class_bits(sc, c);
  } else if (line.name.text == "minDuration") {
    if (line.args.size() != 1) sc.arg_error(line.name);
    f.min_duration = sc.parse_duration(line.args[0]);
  } else {
    sc.unknown_property(line.name);
  }
}

LogFilter parse_filter(const SetupContext& sc, const Directive& d) {
  LogFilter f;
  for (const auto& line : d.block) parse_block_line(sc, line, f);
  // Neither option: every response.
  if (f.classes == 0 && f.min_duration.count() == 0) {
    f.classes = static_cast<uint8_t>(ResponseClass::all);
  }
  return f;
}

// log [NAMES...] [FORMAT]: a rule per name, each with the format and the block's filter.
void parse_directive(const SetupContext& sc, const Directive& d, std::vector<LogRule>& rules) {
  std::span<const Token> names(d.args);
  std::string format(LogFormat::kCommon);
  // With two or more arguments, a last one holding '{' is the format (CoreDNS's rule).
  if (names.size() >= 2 && names.back().text.find('{') != std::string::npos) {
    format = expand_format(names.back().text);
    names = names.first(names.size() - 1);
  }
  std::vector<std::string> zones;
  if (names.empty())
    zones.push_back(".");
  else
    zones = sc.zones_from(names);
  const LogFilter f = parse_filter(sc, d);
  for (auto& z : zones) {
    cxxdns::dns::Name zone;
    cxxdns::dns::from_text(z, zone);
    zone.to_lower();
    rules.push_back(LogRule{zone, LogFormat(format), f.classes, f.min_duration});
  }
}

}  // namespace

void cxxdns_register_log(cxxdns::Registry& r) {
  r.add("log", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<LogRule> rules;
    for (const auto& d : sc.directives()) parse_directive(sc, d, rules);
    return std::make_unique<Log>(std::move(rules));
  });
}
