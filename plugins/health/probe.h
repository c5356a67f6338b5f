// The health plugin's self-probe, as CoreDNS's: once a second GET /health on our own
// endpoint, through the control loop, so a busy or stuck loop shows in
// coredns_health_request_duration_seconds and coredns_health_request_failures_total.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "core/metrics/metrics.h"

namespace cxxdns::plugins {

class HealthProbe {
 public:
  HealthProbe();
  // Starts probing host:port every interval_ms (host "" = 127.0.0.1).
  void start(uv_loop_t* loop, const std::string& host, uint16_t port, uint64_t interval_ms = 1000);
  void stop();

 private:
  struct Attempt;
  void fire();
  void finish(Attempt* a, int outcome);  // 1 answered 200, 0 failed, -1 cancelled

  metrics::Histogram& duration_;
  metrics::Counter& failures_;
  uv_timer_t* timer_ = nullptr;
  Attempt* inflight_ = nullptr;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace cxxdns::plugins
