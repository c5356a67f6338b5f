// acl: allow, block (REFUSED), filter (empty NOERROR) or drop queries by source network and
// query type, as CoreDNS's acl; keeps a server from being an open resolver.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/pkg/ip.h"
#include "plugins/pkg/zones.h"

namespace cxxdns::plugins {

enum class AclAction : uint8_t { allow, block, filter, drop };

struct AclRule {
  AclAction action;
  std::vector<uint16_t> types;      // empty: every type
  std::vector<pkg::IpPrefix> nets;  // empty: every source
};

struct AclPolicy {
  pkg::Zones zones;
  std::vector<AclRule> rules;  // first match wins; no match allows
};

class Acl final : public Plugin {
 public:
  explicit Acl(std::vector<AclPolicy> policies);
  std::string_view name() const override { return "acl"; }
  Verdict serve(QueryContext& ctx) override;

  // coredns_acl_{allowed,blocked,filtered,dropped}_requests_total (process-wide, as CoreDNS's)
  uint64_t count(AclAction a) const { return counts_[static_cast<size_t>(a)]->value(); }

 private:
  AclAction decide(QueryContext& ctx) const;

  std::vector<AclPolicy> policies_;
  std::array<std::unique_ptr<metrics::OwnedCounter>, 4> counts_;
};

}  // namespace cxxdns::plugins
