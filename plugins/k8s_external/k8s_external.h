// k8s_external: an extra zone in which the external addresses of Kubernetes services (their
// load balancer ingresses and externalIPs) and, with `headless`, the endpoints of headless
// services are resolved from outside the cluster, with SOA and NS records at its apex, as
// CoreDNS's k8s_external. The data comes from the kubernetes plugin of the block
// (pkg::ExternalSource), found at startup.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "plugins/k8s_external/plan.h"
#include "plugins/pkg/external.h"
#include "plugins/pkg/fall.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

struct ExternalConfig {
  std::vector<std::string> zones;  // canonical, as written (the first one names PTR targets)
  std::string apex = "dns";        // the label the name server records live under
  uint32_t ttl = 5;
  bool headless = false;
  pkg::Fallthrough fallthrough;
};

class K8sExternal final : public Plugin {
 public:
  explicit K8sExternal(ExternalConfig cfg);
  std::string_view name() const override { return "k8s_external"; }
  Verdict serve(QueryContext& ctx) override;
  // Finds kubernetes in `block` (CoreDNS: at startup). Without it the plugin passes every
  // query on, as CoreDNS does.
  void start(const BlockConfig& block);

 private:
  Verdict serve_apex(QueryContext& ctx, int zone);
  Verdict serve_sub_apex(QueryContext& ctx, int zone, int labels_below_zone);
  Verdict serve_services(QueryContext& ctx, int zone);
  // The services of a PTR query's name: the external addresses' services, or for a name
  // that is no address, none (with the rcode the name itself has).
  uint8_t reverse(QueryContext& ctx, std::string_view rel, std::vector<pkg::ExternalService>& out);
  Verdict negative(QueryContext& ctx, int zone, uint8_t rcode);
  // Answers from `plan` once its lookups (CNAME targets, through the whole chain) are done.
  Verdict run(QueryContext& ctx, int zone, const std::shared_ptr<Plan>& plan);
  void lookup_next(const std::shared_ptr<Plan>& plan, size_t step);
  void soa(dns::MessageWriter& w, QueryContext& ctx, int zone);
  dns::Name in_apex(std::string_view label, const std::string& zone) const;

  ExternalConfig cfg_;
  pkg::Zones zones_;
  pkg::ExternalSource* source_ = nullptr;
};

}  // namespace cxxdns::plugins
