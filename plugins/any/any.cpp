#include "plugins/any/any.h"

#include "core/dns/writer.h"

namespace cxxdns::plugins {

namespace {
constexpr uint32_t kTtl = 8482;  // CoreDNS's, after the RFC
}

Verdict Any::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (q.qtype != dns::type::ANY) return ctx.next();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, false);  // CoreDNS's SetReply: not authoritative
  w.begin_rr(q.qname, dns::type::HINFO, dns::cls::IN, kTtl);
  w.rd_text("ANY obsoleted");
  w.rd_text("See RFC 8482");
  w.end_rr();
  return ctx.reply();
}

}  // namespace cxxdns::plugins
