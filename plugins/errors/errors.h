// errors: logs the errors of the plugins after it, optionally consolidating repeats.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/pkg/timer.h"

namespace cxxdns::plugins {

struct ConsolidateRule {
  std::chrono::nanoseconds period;
  std::string pattern;
  std::regex regex;
  std::string level;  // warning, error, info, debug
};

class Errors final : public Plugin, public ReplyHook {
 public:
  explicit Errors(std::vector<ConsolidateRule> rules);
  std::string_view name() const override { return "errors"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t) override;
  // On the control loop: the timer that reports consolidated errors.
  void start(ControlInfo& control);
  // As CoreDNS's stop(): what consolidate counted is reported now, not lost.
  void stop() {
    timer_.close();
    report_due(UINT64_MAX);
  }

 private:
  struct Counter {
    int count = 0;
    uint64_t first_ns = 0;
  };
  void report_due(uint64_t now_ns);

  std::vector<ConsolidateRule> rules_;
  std::mutex mu_;  // guards counters_: errors come from every worker
  std::vector<Counter> counters_;
  pkg::Timer timer_;
};

}  // namespace cxxdns::plugins
