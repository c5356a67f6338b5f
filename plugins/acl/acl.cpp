#include "plugins/acl/acl.h"

#include <algorithm>

#include "core/dns/name.h"
#include "core/dns/writer.h"

namespace cxxdns::plugins {

namespace {
bool rule_matches(const AclRule& r, uint16_t qtype, std::span<const uint8_t> addr) {
  if (!r.types.empty() && std::find(r.types.begin(), r.types.end(), qtype) == r.types.end()) {
    return false;
  }
  if (r.nets.empty()) return true;
  return std::any_of(r.nets.begin(), r.nets.end(),
                     [&](const Network& n) { return n.contains(addr); });
}
}  // namespace

void Acl::serve(QueryContext& ctx) {
  std::string_view qname = ctx.qname_text();
  AclAction action = AclAction::allow;
  for (const AclPolicy& p : policies_) {
    bool in_zone = std::any_of(p.zones.begin(), p.zones.end(),
                               [&](const std::string& z) { return dns::is_subdomain(qname, z); });
    if (!in_zone) continue;
    for (const AclRule& r : p.rules) {
      if (rule_matches(r, ctx.q().qtype, ctx.client().bytes())) {
        action = r.action;
        break;
      }
    }
    break;
  }
  counts_[static_cast<int>(action)].fetch_add(1, std::memory_order_relaxed);
  switch (action) {
    case AclAction::allow:
      return ctx.next();
    case AclAction::block:
      ctx.note("acl", "blocked");
      return ctx.reply_rcode(dns::rcode::REFUSED);
    case AclAction::filter: {
      ctx.note("acl", "filtered");
      dns::MessageWriter w(ctx.response());
      w.start_reply(ctx.q(), dns::rcode::NOERROR, false);
      return ctx.reply();
    }
    case AclAction::drop:
      return ctx.drop();
  }
}

}  // namespace cxxdns::plugins
