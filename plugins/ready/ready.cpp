#include "plugins/ready/ready.h"

#include <algorithm>

#include <stdexcept>

#include "core/log/log.h"
#include "core/plugin/config.h"

namespace cxxdns::plugins {

Ready::Ready(std::shared_ptr<http::HttpServer> http, const Services& services)
    : http_(std::move(http)), services_(services) {}

http::Response Ready::check() {
  if (!started_ || !services_.config) return {503, "Shutting down"};
  std::set<std::string> waiting;
  for (const Lifecycle::Readiness& r : services_.config->lifecycle.readiness) {
    if (seen_ready_.count(&r)) continue;
    if (r.ready())
      seen_ready_.insert(&r);
    else
      waiting.insert(r.plugin);
  }
  if (waiting.empty()) return {200, "OK"};
  std::string list;
  for (auto& n : waiting) list += (list.empty() ? "" : ",") + n;
  log::info("plugin/ready: Plugins not ready: \"{}\"", list);
  return {503, list};
}

void Ready::start(ControlInfo& control) {
  // Blocks sharing the address share the path: the last one started answers, and it looks
  // at every block anyway.
  http_->handle(
      "/ready", [this](const http::Request&) { return check(); }, this);
  try {
    http_->start(control.loop);
  } catch (const std::exception& e) {
    http_->release(this);
    throw std::runtime_error("plugin/ready: " + std::string(e.what()));
  }
  started_ = true;
}

void Ready::stop() {
  http_->release(this);
  if (started_) http_->stop();
  started_ = false;
}

}  // namespace cxxdns::plugins
