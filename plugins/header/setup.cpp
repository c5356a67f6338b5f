// header { [query|response] set|clear FLAG... }, as CoreDNS's header: a line without
// selector is a response rule (the older syntax); rules apply in order, the last one for a
// flag wins. Flags: aa, ra, rd (CoreDNS's), and ad, cd (cxxdns's). Only the first header
// line of a block that has rules counts.
#include <algorithm>
#include <cctype>

#include "core/dns/constants.h"
#include "core/plugin/registry.h"
#include "core/plugin/setup.h"
#include "plugins/header/header.h"

namespace {

using cxxdns::plugins::FlagRules;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

uint16_t flag_bit(const std::string& name) {
  namespace f = cxxdns::dns::flag;
  if (name == "aa") return f::AA;
  if (name == "ra") return f::RA;
  if (name == "rd") return f::RD;
  if (name == "ad") return f::AD;
  if (name == "cd") return f::CD;
  return 0;
}

// One rule line: [SELECTOR] ACTION FLAG...; errors read as CoreDNS's.
void parse_rule(cxxdns::SetupContext& sc, const cxxdns::corefile::Directive& line, FlagRules& query,
                FlagRules& response) {
  std::string selector = lower(line.name.text);
  std::string action;
  size_t first_flag = 0;
  if (selector == "set" || selector == "clear") {
    action = selector;
    selector = "response";
  } else if (selector == "query" || selector == "response") {
    if (!line.args.empty()) action = line.args[0].text;
    first_flag = 1;
  } else {
    sc.error(line.name,
             "setting up rule: invalid selector=" + selector + " should be query or response");
  }
  if (action.empty()) sc.error(line.name, "setting up rule: no flag action provided");
  if (line.args.size() <= first_flag) {
    sc.error(line.name,
             "setting up rule: invalid length for flags, at least one should be provided");
  }
  action = lower(action);
  if (action != "set" && action != "clear") {
    sc.error(line.args[0],
             "setting up rule: unknown flag action=" + action + ", should be set or clear");
  }
  FlagRules& rules = selector == "query" ? query : response;
  for (size_t i = first_flag; i < line.args.size(); ++i) {
    const std::string flag = lower(line.args[i].text);
    const uint16_t bit = flag_bit(flag);
    if (!bit) sc.error(line.args[i], "setting up rule: unknown/unsupported flag=" + flag);
    rules.add(bit, action == "set");
  }
}

}  // namespace

void cxxdns_register_header(cxxdns::Registry& r) {
  r.add("header", [](cxxdns::SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    for (const auto& d : sc.directives()) {
      if (!d.args.empty()) sc.arg_error(d.args.front());
      FlagRules query, response;
      for (const auto& line : d.block) parse_rule(sc, line, query, response);
      if (!d.block.empty()) return std::make_unique<cxxdns::plugins::Header>(query, response);
    }
    sc.arg_error(sc.directives().front().name);
  });
}
