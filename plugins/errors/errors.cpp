#include "plugins/errors/errors.h"

#include "core/dns/name.h"
#include "core/dns/response.h"
#include "core/dns/text.h"
#include "core/log/log.h"
#include "core/plugin/setup.h"

namespace cxxdns::plugins {

Errors::Errors(std::vector<ConsolidateRule> rules)
    : rules_(std::move(rules)), counters_(rules_.size()) {}

Verdict Errors::serve(QueryContext& ctx) {
  ctx.on_reply(this);
  return ctx.next();
}

void Errors::on_reply(QueryContext& ctx, uint64_t) {
  const QueryError* e = ctx.find_slot<QueryError>();
  if (!e || e->text.empty()) return;
  const std::string& err = e->text;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (std::regex_search(err, rules_[i].regex)) {
      std::lock_guard lock(mu_);
      if (counters_[i].count++ == 0) counters_[i].first_ns = QueryContext::now_ns();
      return;
    }
  }
  char buf[16];
  log::error("plugin/errors: {} {} {}: {}", ctx.shape().rcode, ctx.qname_text(),
             dns::type_name(ctx.q().qtype, buf), err);
}

void Errors::start(ControlInfo& control) {
  if (rules_.empty()) return;
  timer_.start(control.loop, 100, 100, [this] { report_due(QueryContext::now_ns()); });
}

void Errors::report_due(uint64_t now_ns) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    Counter& c = counters_[i];
    if (c.count == 0 || now_ns - c.first_ns < uint64_t(rules_[i].period.count())) continue;
    std::string msg = fmt::format("plugin/errors: {} errors like '{}' occurred in last {}", c.count,
                                  rules_[i].pattern, go_duration_string(rules_[i].period));
    const std::string& level = rules_[i].level;
    if (level == "warning")
      log::write_line("[WARNING] " + msg);
    else if (level == "info")
      log::write_line("[INFO] " + msg);
    else if (level == "debug")
      log::write_line("[DEBUG] " + msg);
    else
      log::write_line("[ERROR] " + msg);
    c = Counter{};
  }
}

}  // namespace cxxdns::plugins
