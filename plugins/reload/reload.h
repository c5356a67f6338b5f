// reload: watches the Corefile and asks the server to reload when its content changes.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <random>
#include <string>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Reload final : public Plugin {
 public:
  Reload(std::string path, std::chrono::nanoseconds interval, std::chrono::nanoseconds jitter,
         std::function<void()> request_reload, bool after_reload);
  std::string_view name() const override { return "reload"; }
  void serve(QueryContext& ctx) override { ctx.next(); }
  void start(ControlInfo& control) override;
  void stop() override;

 private:
  void schedule();
  void check();

  std::string path_;
  std::chrono::nanoseconds interval_, jitter_;
  std::function<void()> request_reload_;
  bool after_reload_;
  std::string hash_;  // SHA512 of the Corefile this configuration was built from
  std::mt19937_64 rng_{std::random_device{}()};
  uv_timer_t timer_;
  bool started_ = false;
};

// Hex SHA512 of a file's content; empty when it cannot be read.
std::string sha512_file(const std::string& path);

}  // namespace cxxdns::plugins
