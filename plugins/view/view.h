// view: a condition on the queries a server block takes, as CoreDNS's view. The block's
// expressions are registered as its block filter (core/plugin/config.h): the server gives a
// query to the first block serving its zone whose filters all accept it, so several blocks
// can serve one zone on one address for different clients, names or types (split DNS).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/plugin/config.h"
#include "plugins/pkg/view_name.h"
#include "plugins/view/expression.h"

namespace cxxdns::plugins {

class View final : public Plugin, public pkg::NamedView {
 public:
  View(std::string view_name, std::vector<std::unique_ptr<view::Expression>> rules);
  std::string_view name() const override { return "view"; }
  // The block was chosen for the query already: nothing more to do here.
  Verdict serve(QueryContext& ctx) override { return ctx.next(); }

  // Whether every expression accepts the query (none: every query is accepted).
  bool accepts(QueryContext& ctx, const ListenerSpec& at) const;
  const std::string& view_name() const override { return view_name_; }

 private:
  std::string view_name_;
  std::vector<std::unique_ptr<view::Expression>> rules_;
};

}  // namespace cxxdns::plugins
