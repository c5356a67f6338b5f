#include "plugins/pkg/zone/serve.h"

#include "core/dns/writer.h"
#include "core/plugin/internal_query.h"
#include "plugins/pkg/trace.h"
#include "plugins/pkg/zone/lookup.h"

namespace cxxdns::pkg::zone {

// A deferred answer waiting for its CNAME target's records.
struct Waiting {
  PendingQuery query;
  std::shared_ptr<const ZoneData> data;
  Plan plan;
};

namespace {

const char* result_text(Plan::Result r) {
  switch (r) {
    case Plan::success:
      return "answer";
    case Plan::nodata:
      return "NODATA";
    case Plan::nxdomain:
      return "NXDOMAIN";
    case Plan::delegation:
      return "delegation";
    case Plan::servfail:
      return "no zone data: SERVFAIL";
  }
  return "";
}

// The chain of the server block that answers `name` on the listener that routed `from`'s
// queries here, as a client's query for `name` would go; null when none does.
const Chain* route(const Services& s, const Chain* from, const dns::Name& name) {
  if (!s.config) return nullptr;
  for (const ListenerSpec& l : s.config->listeners) {
    for (const Route& r : l.routes) {
      if (r.chain != from) continue;
      const Route* to = l.route(name);
      return to ? to->chain : nullptr;
    }
  }
  return nullptr;
}

// The answer records of `msg` (an internal query's answer), names in full, into `w`.
void copy_answers(dns::MessageWriter& w, std::span<const uint8_t> msg) {
  std::vector<uint8_t> rdata;
  dns::walk_records(msg, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer) return false;
    size_t off = r.offset;
    dns::Name owner;
    rdata.clear();
    if (!dns::read_name(msg, off, owner) || !read_rdata(msg, r, rdata)) return false;
    write_record(w, owner, r.type, r.klass, r.ttl, rdata);
    return true;
  });
}

void finish(Waiting& wt, std::span<const uint8_t> target_answer) {
  QueryContext& ctx = wt.query.ctx();
  const dns::QueryView& q = ctx.q();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, wt.plan.rcode(), wt.plan.authoritative());
  write_answer(w, *wt.data, wt.plan, q);
  copy_answers(w, target_answer);
  write_rest(w, *wt.data, wt.plan, q, q.edns.do_bit);
  wt.query.reply();
}

}  // namespace

Verdict ZoneServer::serve(QueryContext& ctx, const ZoneData& data, Snapshot<ZoneData>& snap,
                          const Fallthrough& fall) const {
  const dns::QueryView& q = ctx.q();
  if (q.qtype == type::AXFR || q.qtype == type::IXFR) {
    note(ctx, plugin_, "zone transfer not allowed: REFUSED");
    return ctx.reply_rcode(dns::rcode::REFUSED);
  }
  const Plan plan = lookup(data, q.qname_lower, q.qtype, q.edns.do_bit);
  if (tracing(ctx)) note(ctx, plugin_, result_text(plan.result));
  if (plan.result == Plan::servfail) return ctx.reply_rcode(dns::rcode::SERVFAIL);
  if (plan.result == Plan::nxdomain && fall.through(q.qname_lower)) {
    note(ctx, plugin_, "fallthrough");
    return ctx.next();
  }
  if (plan.external) {
    const Chain* chain = route(services_, ctx.chain(), plan.external_target);
    // The deferred answer keeps its own reference to the version it was planned on.
    std::shared_ptr<const ZoneData> current = snap.current();
    if (chain && current.get() == &data) {
      return lookup_target(ctx, chain,
                           std::make_shared<Waiting>(Waiting{{}, std::move(current), plan}));
    }
  }
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, plan.rcode(), plan.authoritative());
  write_answer(w, data, plan, q);
  write_rest(w, data, plan, q, q.edns.do_bit);
  return ctx.reply();
}

Verdict ZoneServer::lookup_target(QueryContext& ctx, const Chain* chain,
                                  const std::shared_ptr<Waiting>& wt) const {
  const dns::QueryView& q = ctx.q();
  std::vector<uint8_t> wire;
  dns::MessageWriter w(wire);
  dns::Header h;
  h.flags = dns::flag::RD;
  w.start(h);
  w.question(wt->plan.external_target, q.qtype, q.qclass);
  if (q.edns.present) w.opt(dns::kDefaultEdnsSize, q.edns.do_bit);
  note(ctx, plugin_, "CNAME target outside the zone: looked up through the server");
  Deferral d = ctx.defer();
  wt->query = std::move(d.query);
  // It may answer at once (a name of this very zone): the context is not touched after.
  send_internal(ctx.worker(), chain, 0, wire, ctx.client(), ctx.depth(),
                [wt](QueryContext& answered) { finish(*wt, answered.response()); });
  return d.verdict;
}

}  // namespace cxxdns::pkg::zone
