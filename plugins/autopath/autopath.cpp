#include "plugins/autopath/autopath.h"

#include <stdexcept>

#include "core/dns/copy.h"
#include "core/dns/text.h"
#include "core/dns/writer.h"
#include "core/log/log.h"
#include "core/plugin/internal_query.h"
#include "plugins/pkg/requery.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

// One query being walked through its search path.
struct Autopath::Walk {
  PendingQuery pending;
  size_t pos = 0;                 // autopath's place in the chain
  std::vector<std::string> path;  // the search path, "" last
  std::vector<uint8_t> base;      // the labels asked before path[0], as sent (no root)
  size_t current = 0, next = 0;   // the candidate asked, the one to ask after it
  std::vector<uint8_t> first;     // the answer to path[0]: the client's own name
  std::vector<uint8_t> wire;      // the candidate query
};

bool first_in_search_path(std::string_view name, std::string_view first) {
  return dns::is_subdomain(name, first);
}

namespace {

// The owner of the first answer record not owned by `original`, with its TTL.
bool cname_target(std::span<const uint8_t> answer, const dns::Name& original_lower,
                  dns::Name& target, uint32_t& ttl) {
  bool found = false;
  dns::walk_records(answer, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer) return false;
    size_t at = r.offset;
    dns::Name owner;
    if (!dns::read_name(answer, at, owner)) return false;
    dns::Name lower = owner;
    lower.to_lower();
    if (lower == original_lower) return true;
    target = owner;
    ttl = r.ttl;
    found = true;
    return false;
  });
  return found;
}

// `base` (labels, no root) followed by the canonical domain `zone` ("" or "." adds nothing).
bool join(const std::vector<uint8_t>& base, const std::string& zone, dns::Name& out) {
  dns::Name z;
  if (!dns::from_text(zone.empty() ? "." : zone, z)) return false;
  if (base.size() + z.len > dns::kMaxNameWire) return false;
  std::copy(base.begin(), base.end(), out.data);
  std::copy(z.data, z.data + z.len, out.data + base.size());
  out.len = static_cast<uint8_t>(base.size() + z.len);
  return true;
}

}  // namespace

bool answer_for_original(std::span<const uint8_t> answer, const dns::QueryView& original,
                         bool cname, std::vector<uint8_t>& out) {
  if (answer.size() < dns::kHeaderSize) return false;
  dns::Header h = dns::Header::read(answer.data());
  h.qdcount = h.ancount = h.nscount = h.arcount = 0;
  dns::MessageWriter w(out);
  w.start(h);
  w.question(original.qname, original.qtype, original.qclass);
  dns::Name target;
  uint32_t ttl = 0;
  if (cname && cname_target(answer, original.qname_lower, target, ttl)) {
    w.name_rr(original.qname, dns::type::CNAME, ttl, target);
  }
  bool ok = true;
  const bool walked = dns::walk_records(answer, [&](const dns::RecordRef& r) {
    w.section(r.section);
    ok = dns::copy_record(answer, r, w);
    return ok;
  });
  return walked && ok;
}

Autopath::Autopath(AutopathConfig cfg)
    : cfg_(std::move(cfg)),
      zones_(cfg_.zones),
      success_(metrics::Registry::global()
                   .counter("coredns_autopath_success_total",
                            "Counter of requests that did autopath.", {"server"})
                   .with({cfg_.server})) {}

void Autopath::start(const BlockConfig& block) {
  if (cfg_.plugin.empty()) return;
  Plugin* p = find_plugin(block, cfg_.plugin);
  if (!p) {
    // CoreDNS goes on without a search path (and so does nothing); say so once.
    log::warning("plugin/autopath: no plugin {} in this server block: no search path", cfg_.plugin);
    return;
  }
  source_ = dynamic_cast<pkg::SearchPathSource*>(p);
  if (!source_) {
    throw std::runtime_error("plugin/autopath: " + cfg_.plugin +
                             " does not implement the AutoPather interface");
  }
}

Verdict Autopath::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (!zones_.contains(q.qname_lower)) return ctx.next();
  thread_local std::vector<std::string> path;
  if (source_) {
    if (!source_->search_path(ctx, path)) return ctx.next();
  } else {
    path = cfg_.search;
  }
  const std::string_view name = ctx.qname_text();
  if (path.empty() || !first_in_search_path(name, path[0])) return ctx.next();
  if (name.size() == path[0].size()) {
    // CoreDNS's TrimZone of the name by itself fails, and the query gets SERVFAIL.
    return ctx.fail(dns::rcode::SERVFAIL,
                    "trimzone: overshot qname: " + std::string(name) + "for zone " + path[0]);
  }
  auto w = std::make_shared<Walk>();
  w->pos = ctx.position();
  w->path = path;
  // The labels before path[0], in the case they were asked.
  dns::Name zone;
  dns::from_text(path[0], zone);
  w->base.assign(q.qname.data, q.qname.data + (q.qname.len - zone.len));
  Deferral d = ctx.defer();
  w->pending = std::move(d.query);
  try_candidate(w);
  return d.verdict;
}

void Autopath::try_candidate(const std::shared_ptr<Walk>& w) {
  QueryContext& ctx = w->pending.ctx();
  dns::Name candidate;
  while (w->next < w->path.size() && !join(w->base, w->path[w->next], candidate)) ++w->next;
  if (w->next == w->path.size()) {
    // Every name failed: the client gets the answer to its own name, and walks on itself.
    std::vector<uint8_t> out;
    if (!answer_for_original(w->first, ctx.q(), false, out)) {
      w->pending.reply_rcode(dns::rcode::SERVFAIL);
      return;
    }
    ctx.writable_response().swap(out);
    w->pending.reply();
    return;
  }
  w->current = w->next++;
  pkg::requery(ctx, candidate, ctx.q().qtype, w->wire);
  if (log::debug_enabled()) log::debug("plugin/autopath: Trying {}", dns::to_text(candidate));
  send_internal(ctx.worker(), ctx.chain(), w->pos + 1, w->wire, ctx.client(), ctx.depth(),
                [this, w](QueryContext& answered) { candidate_answered(w, answered); });
}

void Autopath::candidate_answered(const std::shared_ptr<Walk>& w, QueryContext& answered) {
  QueryContext& ctx = w->pending.ctx();
  const uint16_t rcode = answered.shape().rcode;
  if (pkg::tracing(ctx)) {
    char buf[16];
    std::string what(answered.qname_text());
    what += ' ';
    what += dns::rcode_name(rcode, buf);
    pkg::note(ctx, "autopath", what);
  }
  // A plugin's error ends the walk with it, as CoreDNS returns the first error it gets.
  if (const QueryError* err = answered.find_slot<QueryError>(); err && !err->text.empty()) {
    w->pending.fail(static_cast<uint8_t>(rcode & 0xf), err->text);
    return;
  }
  if (w->current == 0) w->first = answered.response();
  if (rcode == dns::rcode::NXDOMAIN) {
    try_candidate(w);
    return;
  }
  std::vector<uint8_t> out;
  if (!answer_for_original(answered.response(), ctx.q(), true, out)) {
    w->pending.reply_rcode(dns::rcode::SERVFAIL);
    return;
  }
  ctx.writable_response().swap(out);
  success_.inc(ctx.worker().index);
  w->pending.reply();
}

}  // namespace cxxdns::plugins
