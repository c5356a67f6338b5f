// rewrite [continue|stop] FIELD ARGS... , or rewrite [continue|stop] { FIELD ARGS...
// [answer ...] }: every rewrite line of a server block is one rule, tried in the order
// written (CoreDNS's rewriteParse: a block's words are the rule's words, whatever its lines).
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/rewrite/rewrite.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;

std::vector<std::string> rule_words(const SetupContext& sc, const Directive& d) {
  std::vector<std::string> words;
  for (const auto& t : d.args) words.push_back(t.text);
  if (!d.has_block) return words;
  if (d.args.size() >= 2) {
    sc.error(d.args.back(), "a rewrite rule is written on its line or in its block, not both");
  }
  for (const Directive& line : d.block) {
    words.push_back(line.name.text);
    for (const auto& t : line.args) words.push_back(t.text);
    if (line.has_block) sc.error(line.name, "unexpected block inside a rewrite rule");
  }
  return words;
}

}  // namespace

void cxxdns_register_rewrite(cxxdns::Registry& r) {
  r.add("rewrite", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    std::vector<std::unique_ptr<cxxdns::plugins::rewrite::Rule>> rules;
    for (const Directive& d : sc.directives()) {
      std::string error;
      auto rule = cxxdns::plugins::rewrite::new_rule(rule_words(sc, d), error);
      if (!rule) sc.error(d.args.empty() ? d.name : d.args.front(), error);
      rules.push_back(std::move(rule));
    }
    return std::make_unique<cxxdns::plugins::rewrite::Rewrite>(std::move(rules));
  });
}
