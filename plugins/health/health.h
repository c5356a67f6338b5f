// health: "OK" on http://ADDRESS/health while the process runs; lameduck keeps DNS
// serving for a while on shutdown so clients can move away first.
#pragma once

#include <chrono>
#include <memory>

#include "core/http/server.h"
#include "core/plugin/context.h"
#include "plugins/health/probe.h"

namespace cxxdns {
struct Services;
}

namespace cxxdns::plugins {

class Health final : public Plugin {
 public:
  Health(std::shared_ptr<http::HttpServer> http, std::chrono::nanoseconds lameduck,
         Services& services);
  std::string_view name() const override { return "health"; }
  Verdict serve(QueryContext& ctx) override { return ctx.next(); }
  // On the control loop: /health and its self-probe.
  void start(ControlInfo& control);
  void stop();
  // How long to keep serving on shutdown (logs that it goes into lameduck).
  uint64_t lameduck_ms() const;

 private:
  std::shared_ptr<http::HttpServer> http_;
  std::chrono::nanoseconds lameduck_;
  Services& services_;
  HealthProbe probe_;
  bool started_ = false;
};

}  // namespace cxxdns::plugins
