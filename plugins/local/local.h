// local: answers localhost, its subdomains and the local reverse zones itself (RFC 6761,
// RFC 6303), so they never leave the server, as CoreDNS's local.
#pragma once

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

class Local final : public Plugin {
 public:
  // `localhost_prefix`: names whose first label is "localhost" ("localhost.example.net.")
  // are answered as localhost too (CoreDNS's default, its `localhost_prefix on`).
  explicit Local(bool localhost_prefix);
  std::string_view name() const override { return "local"; }
  Verdict serve(QueryContext& ctx) override;

 private:
  Verdict localhost_name(QueryContext& ctx);
  Verdict in_zone(QueryContext& ctx, int zone);

  bool localhost_prefix_;
  pkg::Zones zones_;
  metrics::Counter& localhost_requests_;
};

}  // namespace cxxdns::plugins
