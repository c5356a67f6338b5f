// ExternalName services, as CoreDNS answers them (plugin.A/AAAA with its upstream package):
// the CNAME, then the target's records. A target outside the cluster zone is looked up
// through the block's whole chain, as a client's query with the same flags and EDNS (the
// upstream package re-enters the server); CoreDNS keeps the CNAME and whatever answer records
// came back, NOERROR whatever the lookup's rcode, TC when that answer was truncated. A
// target inside the zone goes through the chain too (so back to this plugin) and, as
// CoreDNS, the CNAME is kept only when the target has records: else NODATA. Loops end at
// the internal-query depth (kMaxInternalDepth), whose SERVFAIL turns into NODATA here; a
// service that names itself is NODATA at once (CoreDNS: "x CNAME x is a direct loop").
#include <memory>

#include "core/dns/copy.h"
#include "core/dns/writer.h"
#include "core/plugin/internal_query.h"
#include "plugins/kubernetes/kubernetes.h"
#include "plugins/kubernetes/records.h"
#include "plugins/pkg/requery.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins::k8s {

// One ExternalName answer waiting for its target's lookup.
struct ExternalChase {
  PendingQuery pending;
  dns::Name target;
  std::vector<uint8_t> wire;  // the lookup's query
  int zone = 0;
  bool in_zone = false;  // the target is a name of the cluster zone
};

namespace {

// Appends the answer section of `up` (an answer to the chase's lookup) to `w`; false when
// a record does not read.
bool copy_answers(std::span<const uint8_t> up, const dns::AnswerShape& s, dns::MessageWriter& w) {
  bool ok = true;
  dns::walk_records_after(up, s.question_end, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer) return false;
    ok = dns::copy_record(up, r, w);
    return ok;
  });
  return ok;
}

}  // namespace

Verdict Kubernetes::answer_external(QueryContext& ctx, int zone, const dns::Name& target) const {
  const dns::QueryView& q = ctx.q();
  auto c = std::make_shared<ExternalChase>();
  c->zone = zone;
  c->target = target;
  dns::Name lower = target;
  lower.to_lower();
  c->in_zone = zones_.match(lower) == zone;
  if (lower == q.qname_lower) {
    pkg::note(ctx, "kubernetes", "ExternalName names itself: NODATA");
    return write_nodata(ctx, zone) ? ctx.reply() : ctx.reply_rcode(dns::rcode::SERVFAIL);
  }
  pkg::note(ctx, "kubernetes", "ExternalName: looking up the target through the chain");
  pkg::requery(ctx, c->target, q.qtype, c->wire);
  Deferral d = ctx.defer();
  c->pending = std::move(d.query);
  QueryContext& held = c->pending.ctx();
  send_internal(held.worker(), held.chain(), 0, c->wire, held.client(), held.depth(),
                [this, c](QueryContext& answered) { finish_external(*c, answered); });
  return d.verdict;
}

void Kubernetes::finish_external(ExternalChase& c, QueryContext& answered) const {
  QueryContext& ctx = c.pending.ctx();
  const dns::QueryView& q = ctx.q();
  const std::span<const uint8_t> up = answered.response();
  const dns::AnswerShape& s = answered.shape();
  const bool has_answers = s.valid && s.hdr.ancount > 0;
  if (c.in_zone && !has_answers) {
    if (write_nodata(ctx, c.zone)) {
      c.pending.reply();
    } else {
      c.pending.reply_rcode(dns::rcode::SERVFAIL);
    }
    return;
  }
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  w.name_rr(q.qname, dns::type::CNAME, opts_.ttl, c.target);
  if (has_answers && !copy_answers(up, s, w)) {
    c.pending.fail(dns::rcode::SERVFAIL,
                   "plugin/kubernetes: ExternalName target answer unreadable");
    return;
  }
  if (s.valid && (s.hdr.flags & dns::flag::TC)) w.set_flags(dns::flag::TC);
  c.pending.reply();
}

bool Kubernetes::write_nodata(QueryContext& ctx, int zone) const {
  auto reading = index_.read(ctx.worker().index);
  const ClusterIndex* x = reading.get();
  if (!x) return false;
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
  w.section(dns::Section::authority);
  write_soa(w, *x, zones_.text(zone), opts_.ttl);
  return true;
}

}  // namespace cxxdns::plugins::k8s
