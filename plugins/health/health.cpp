#include "plugins/health/health.h"

#include <stdexcept>

#include "core/log/log.h"
#include "core/plugin/config.h"
#include "core/plugin/setup.h"

namespace cxxdns::plugins {

Health::Health(std::shared_ptr<http::HttpServer> http, std::chrono::nanoseconds lameduck,
               Services& services)
    : http_(std::move(http)), lameduck_(lameduck), services_(services) {}

void Health::start(ControlInfo& control) {
  http_->handle(
      "/health",
      [](const http::Request&) {
        return http::Response{200, "OK"};
      },
      this);
  try {
    http_->start(control.loop);
  } catch (const std::exception& e) {
    http_->release(this);
    throw std::runtime_error("plugin/health: " + std::string(e.what()));
  }
  started_ = true;
  std::string host;
  uint16_t port;
  // One probe per endpoint, however many blocks of this configuration name it.
  auto& mark = services_.shared["health-probe:" + http_->address()];
  if (!mark && http::split_host_port(http_->address(), host, port)) {
    mark = std::make_shared<int>(0);
    probe_.start(control.loop, host, http_->port());
  }
}

void Health::stop() {
  probe_.stop();
  http_->release(this);
  if (started_) http_->stop();
  started_ = false;
}

uint64_t Health::lameduck_ms() const {
  if (lameduck_.count() <= 0) return 0;
  log::info("plugin/health: Going into lameduck mode for {}", go_duration_string(lameduck_));
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(lameduck_).count());
}

}  // namespace cxxdns::plugins
