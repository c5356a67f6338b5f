#include "plugins/view/view.h"

namespace cxxdns::plugins {

View::View(std::string view_name, std::vector<std::unique_ptr<view::Expression>> rules)
    : view_name_(std::move(view_name)), rules_(std::move(rules)) {}

bool View::accepts(QueryContext& ctx, const ListenerSpec& at) const {
  const view::Facts facts{&ctx, &at};
  for (const auto& r : rules_) {
    if (!r->accepts(facts)) return false;
  }
  return true;
}

}  // namespace cxxdns::plugins
