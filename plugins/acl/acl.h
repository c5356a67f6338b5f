// acl: allow, block (REFUSED), filter (empty NOERROR) or drop queries by source network and
// query type, as CoreDNS's acl; keeps a server from being an open resolver.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "core/plugin/context.h"
#include "core/plugin/network.h"

namespace cxxdns::plugins {

enum class AclAction : uint8_t { allow, block, filter, drop };

struct AclRule {
  AclAction action;
  std::vector<uint16_t> types;  // empty: every type
  std::vector<Network> nets;    // empty: every source
};

struct AclPolicy {
  std::vector<std::string> zones;
  std::vector<AclRule> rules;  // first match wins; no match allows
};

class Acl final : public Plugin {
 public:
  explicit Acl(std::vector<AclPolicy> policies) : policies_(std::move(policies)) {}
  std::string_view name() const override { return "acl"; }
  void serve(QueryContext& ctx) override;

  // coredns_acl_{allowed,blocked,filtered,dropped}_requests_total
  uint64_t count(AclAction a) const { return counts_[static_cast<int>(a)].load(); }
  void collect_metrics(std::vector<metrics::Sample>& out) const override {
    static constexpr const char* kNames[] = {
        "coredns_acl_allowed_requests_total", "coredns_acl_blocked_requests_total",
        "coredns_acl_filtered_requests_total", "coredns_acl_dropped_requests_total"};
    for (int a = 0; a < 4; ++a) {
      out.push_back({kNames[a],
                     "Counter of DNS requests by acl action.",
                     true,
                     {},
                     double(counts_[a].load(std::memory_order_relaxed))});
    }
  }

 private:
  std::vector<AclPolicy> policies_;
  std::atomic<uint64_t> counts_[4] = {};
};

}  // namespace cxxdns::plugins
