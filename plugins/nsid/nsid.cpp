#include "plugins/nsid/nsid.h"

#include "plugins/pkg/edns.h"

namespace cxxdns::plugins {

Verdict Nsid::serve(QueryContext& ctx) {
  // Only a query whose OPT record carries an NSID option (empty, RFC 5001 2.1) gets one.
  if (pkg::query_option(ctx, kNsidOption)) ctx.on_reply(this);
  return ctx.next();
}

void Nsid::on_reply(QueryContext& ctx, uint64_t) {
  const dns::QueryView& q = ctx.q();
  const dns::AnswerShape shape = ctx.shape();
  if (!shape.valid) return;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data_.data());
  // An answer without OPT gets one with the client's size and DO bit (CoreDNS sets DO
  // there whatever the client asked; cxxdns mirrors the client).
  (void)pkg::set_answer_option(ctx.writable_response(), shape, kNsidOption, {bytes, data_.size()},
                               q.udp_size(), q.edns.do_bit);
}

}  // namespace cxxdns::plugins
