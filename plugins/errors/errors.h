// errors: logs the errors of the plugins after it, optionally consolidating repeats.
#pragma once

#include <chrono>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include <uv.h>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

struct ConsolidateRule {
  std::chrono::nanoseconds period;
  std::string pattern;
  std::regex regex;
  std::string level;  // warning, error, info, debug
};

class Errors final : public Plugin {
 public:
  explicit Errors(std::vector<ConsolidateRule> rules);
  std::string_view name() const override { return "errors"; }
  void serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t) override;
  void start(ControlInfo& control) override;
  void stop() override;

 private:
  struct Counter {
    int count = 0;
    uint64_t first_ns = 0;
  };
  void report_due(uint64_t now_ns);

  std::vector<ConsolidateRule> rules_;
  std::mutex mu_;  // guards counters_: errors come from every worker
  std::vector<Counter> counters_;
  uv_timer_t timer_;
  bool timer_started_ = false;
};

}  // namespace cxxdns::plugins
