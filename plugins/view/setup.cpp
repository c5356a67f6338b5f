// view NAME { expr EXPRESSION... }, as CoreDNS's view: once per block; each expr line is an
// expression (its words joined by spaces, as CoreDNS joins them) that must hold for the block
// to take a query.
#include "core/plugin/setup.h"
#include "core/plugin/registry.h"
#include "plugins/view/view.h"

namespace {

using cxxdns::SetupContext;
using cxxdns::corefile::Directive;
using cxxdns::plugins::view::Expression;

std::unique_ptr<Expression> parse_expr(const SetupContext& sc, const Directive& line) {
  if (line.args.empty()) sc.arg_error(line.name);
  std::string text;
  for (const auto& t : line.args) {
    if (!text.empty()) text += ' ';
    text += t.text;
  }
  std::string error;
  auto e = Expression::compile(text, error);
  if (!e) sc.error(line.name, error);
  return e;
}

}  // namespace

void cxxdns_register_view(cxxdns::Registry& r) {
  r.add("view", [](SetupContext& sc) -> std::unique_ptr<cxxdns::Plugin> {
    const Directive& d = sc.only_one();
    if (d.args.size() != 1) sc.arg_error(d.args.empty() ? d.name : d.args[1]);
    std::vector<std::unique_ptr<Expression>> rules;
    for (const auto& line : d.block) {
      if (line.name.text != "expr") sc.unknown_property(line.name);
      rules.push_back(parse_expr(sc, line));
    }
    auto v = std::make_unique<cxxdns::plugins::View>(d.args[0].text, std::move(rules));
    sc.add_block_filter([p = v.get()](cxxdns::QueryContext& ctx, const cxxdns::ListenerSpec& at) {
      return p->accepts(ctx, at);
    });
    return v;
  });
}
