// ready: http://ADDRESS/ready answers 200 "OK" once every plugin of every server block
// says it is ready; 503 with the names of those that are not, until then.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "core/http/server.h"
#include "core/plugin/context.h"

namespace cxxdns {
struct Services;
}

namespace cxxdns::plugins {

class Ready final : public Plugin {
 public:
  Ready(std::shared_ptr<http::HttpServer> http, const Services& services);
  std::string_view name() const override { return "ready"; }
  Verdict serve(QueryContext& ctx) override { return ctx.next(); }
  // On the control loop: /ready.
  void start(ControlInfo& control);
  void stop();

  // The /ready answer now; runs on the control loop.
  http::Response check();

 private:
  std::shared_ptr<http::HttpServer> http_;
  const Services& services_;
  std::set<const void*> seen_ready_;  // once ready, not asked again (as CoreDNS)
  bool started_ = false;
};

}  // namespace cxxdns::plugins
