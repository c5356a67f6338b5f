#include "plugins/health/health.h"

#include <stdexcept>

#include "core/log/log.h"
#include "core/plugin/setup.h"

namespace cxxdns::plugins {

Health::Health(std::shared_ptr<http::HttpServer> http, std::chrono::nanoseconds lameduck)
    : http_(std::move(http)), lameduck_(lameduck) {
  http_->handle("/health", [](const http::Request&) { return http::Response{200, "OK"}; });
}

void Health::start(ControlInfo& control) {
  bool first = false;
  try {
    first = http_->start(control.loop);
  } catch (const std::exception& e) {
    throw std::runtime_error("plugin/health: " + std::string(e.what()));
  }
  started_ = true;
  std::string host;
  uint16_t port;
  // One probe per endpoint, however many blocks name it.
  if (first && http::split_host_port(http_->address(), host, port)) {
    probe_.start(control.loop, host, http_->port());
  }
}

void Health::stop() {
  probe_.stop();
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
