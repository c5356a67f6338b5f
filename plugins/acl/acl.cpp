#include "plugins/acl/acl.h"

#include <algorithm>

#include "core/dns/writer.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

namespace {
bool rule_matches(const AclRule& r, uint16_t qtype, std::span<const uint8_t> addr) {
  if (!r.types.empty() && std::find(r.types.begin(), r.types.end(), qtype) == r.types.end()) {
    return false;
  }
  if (r.nets.empty()) return true;
  return std::any_of(r.nets.begin(), r.nets.end(),
                     [&](const pkg::IpPrefix& n) { return n.contains(addr); });
}
}  // namespace

Acl::Acl(std::vector<AclPolicy> policies) : policies_(std::move(policies)) {
  static constexpr const char* kNames[] = {
      "coredns_acl_allowed_requests_total", "coredns_acl_blocked_requests_total",
      "coredns_acl_filtered_requests_total", "coredns_acl_dropped_requests_total"};
  for (size_t a = 0; a < counts_.size(); ++a) {
    counts_[a] = std::make_unique<metrics::OwnedCounter>(
        metrics::Registry::global()
            .counter(kNames[a], "Counter of DNS requests by acl action.")
            .with(std::vector<std::string>{}));
  }
}

AclAction Acl::decide(QueryContext& ctx) const {
  for (const AclPolicy& p : policies_) {
    if (!p.zones.contains(ctx.q().qname_lower)) continue;
    for (const AclRule& r : p.rules) {
      if (rule_matches(r, ctx.q().qtype, ctx.client().bytes())) return r.action;
    }
    break;  // the first policy for the name decides; no rule of it matching allows
  }
  return AclAction::allow;
}

Verdict Acl::serve(QueryContext& ctx) {
  const AclAction action = decide(ctx);
  counts_[static_cast<size_t>(action)]->inc(ctx.worker().index);
  switch (action) {
    case AclAction::block:
      pkg::note(ctx, "acl", "blocked");
      return ctx.reply_rcode(dns::rcode::REFUSED);
    case AclAction::filter: {
      pkg::note(ctx, "acl", "filtered");
      dns::MessageWriter w(ctx.writable_response());
      w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
      return ctx.reply();
    }
    case AclAction::drop:
      return ctx.drop();
    case AclAction::allow:
      break;
  }
  return ctx.next();
}

}  // namespace cxxdns::plugins
