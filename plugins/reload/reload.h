// reload: watches the Corefile and asks the server to reload when its content changes.
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <string>

#include "core/plugin/context.h"
#include "plugins/pkg/timer.h"

namespace cxxdns::plugins {

class Reload final : public Plugin {
 public:
  Reload(std::string path, std::chrono::nanoseconds interval, std::chrono::nanoseconds jitter,
         std::function<void()> request_reload, bool after_reload);
  std::string_view name() const override { return "reload"; }
  Verdict serve(QueryContext& ctx) override { return ctx.next(); }
  // On the control loop: the timer that looks at the Corefile.
  void start(ControlInfo& control);
  void stop() { timer_.close(); }

 private:
  uint64_t interval_ms();  // the next wait: interval +/- jitter
  void check();

  std::string path_;
  std::chrono::nanoseconds interval_, jitter_;
  std::function<void()> request_reload_;
  bool after_reload_;
  std::string hash_;  // SHA512 of the Corefile this configuration was built from
  std::mt19937_64 rng_{std::random_device{}()};
  pkg::Timer timer_;
};

// Hex SHA512 of a file's content; empty when it cannot be read.
std::string sha512_file(const std::string& path);

}  // namespace cxxdns::plugins
