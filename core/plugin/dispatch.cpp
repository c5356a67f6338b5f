#include "core/plugin/dispatch.h"

#include "core/dns/writer.h"

namespace cxxdns {

namespace {

// BADVERS (16): 0 in the header's four bits, 1 in the OPT's extended ones, and an OPT of
// version 0, the version we speak.
void reply_badvers(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  constexpr uint8_t kBadversHigh = 16 >> 4;
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, 0, false);
  w.opt(q.udp_size(), q.edns.do_bit, kBadversHigh);
  (void)ctx.reply();
}

}  // namespace

bool dispatch(QueryContext& ctx, dns::QueryCheck check, const ListenerSpec* listener) {
  if (check == dns::QueryCheck::drop || check == dns::QueryCheck::formerr) {
    debug_refused_query(ctx.query_wire(), ctx.client(), check);
  }
  switch (check) {
    case dns::QueryCheck::drop:
      return false;
    case dns::QueryCheck::formerr:
      ctx.reply_unparsed(dns::rcode::FORMERR);
      return true;
    case dns::QueryCheck::notimp:
      ctx.reply_unparsed(dns::rcode::NOTIMP);
      return true;
    case dns::QueryCheck::ok:
      break;
  }
  const dns::QueryView& q = ctx.q();
  if (q.qclass != dns::cls::IN && !(listener && listener->any_class)) {
    (void)ctx.reply_rcode(dns::rcode::REFUSED);
    return true;
  }
  if (q.edns.present && q.edns.version != 0) {
    reply_badvers(ctx);
    return true;
  }
  const Route* r = listener ? listener->route(ctx) : nullptr;
  if (!r) {
    (void)ctx.reply_rcode(dns::rcode::REFUSED);
    return true;
  }
  ctx.run(r->chain);
  return true;
}

}  // namespace cxxdns
