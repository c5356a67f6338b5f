#include "plugins/cache/cache.h"

#include <algorithm>

#include "core/dns/response.h"

namespace cxxdns::plugins::cache {

namespace {
constexpr uint16_t kAxfr = 252, kIxfr = 251;

std::vector<dns::Name> to_names(const std::vector<std::string>& zones) {
  std::vector<dns::Name> out;
  for (const auto& z : zones) {
    dns::Name n;
    if (dns::from_text(z, n)) n.to_lower(), out.push_back(n);
  }
  return out;
}

uint32_t clamp_ttl(uint32_t ttl, const TypeConfig& t) {
  return std::min(std::max(ttl, t.min_ttl), t.max_ttl);
}
}  // namespace

Cache::Cache(CacheConfig cfg)
    : cfg_(std::move(cfg)),
      zones_(to_names(cfg_.zones)),
      success_off_(to_names(cfg_.success.disabled_zones)),
      denial_off_(to_names(cfg_.denial.disabled_zones)),
      store_(cfg_.success.capacity, cfg_.denial.capacity, cfg_.max_bytes),
      prefetch_rule_{cfg_.prefetch_amount, cfg_.prefetch_duration_ns, cfg_.prefetch_percentage} {}

bool Cache::in_zones(const dns::Name& qname, const std::vector<dns::Name>& zones) const {
  for (const auto& z : zones) {
    if (dns::is_subdomain(qname, z)) return true;
  }
  return false;
}

void Cache::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (q.qtype == kAxfr || q.qtype == kIxfr || !in_zones(q.qname_lower, zones_)) {
    ctx.next();
    return;
  }
  const Key key = Key::of(q);
  const uint64_t now = clock_();
  const bool verify = cfg_.stale_mode == StaleMode::verify;
  // In verify mode a stale entry is not copied now: the upstream is asked first.
  Lookup r = store_.lookup(key, now, cfg_.stale_ns, prefetch_rule_, !verify, true, ctx.response());
  if (r.found == Found::none || (r.found == Found::stale && verify)) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    const bool stale = r.found == Found::stale;
    ctx.note("cache", stale ? "stale, verifying with the next plugin" : "miss");
    ctx.on_reply(this, stale ? kVerifyStale : kMiss);
    ctx.next();
    return;
  }
  (r.pool == Pool::success ? hits_success_ : hits_denial_).fetch_add(1, std::memory_order_relaxed);
  if (r.found == Found::stale)
    served_stale_.fetch_add(1, std::memory_order_relaxed);
  else if (r.refresh)
    prefetch_.fetch_add(1, std::memory_order_relaxed);
  if (ctx.tracing()) {
    ctx.note("cache", r.found == Found::stale ? "stale hit, refreshing"
                                              : std::string("hit, ") + std::to_string(r.remaining) +
                                                    "s left" + (r.refresh ? ", prefetching" : ""));
  }
  answer(ctx, r.found == Found::stale ? 0 : r.remaining, r.refresh);
}

void Cache::answer(QueryContext& ctx, uint32_t ttl, bool refresh) {
  bool has_opt = false;
  std::vector<uint8_t>& out = ctx.response();
  const dns::QueryView& q = ctx.q();
  if (!patch(out, q, ttl, cfg_.keepttl, &has_opt)) {
    ctx.reply_rcode(dns::rcode::SERVFAIL);  // cannot happen: only walkable answers are stored
    return;
  }
  if (!refresh) {
    // The patch walked the copy: when it already is what finalize_response would make of it
    // (QR set, OPT as the query's, small enough), the server need not walk it again.
    const bool final = !cfg_.keepttl && (dns::get16(out.data() + 2) & dns::flag::QR) &&
                       has_opt == q.edns.present &&
                       out.size() <= (ctx.udp() ? size_t(q.udp_answer_limit()) : size_t(65535));
    if (final)
      ctx.reply_final();
    else
      ctx.reply();
    return;
  }
  // The refresh runs through the plugins after this one as an internal query of its own;
  // it is made before the reply because ctx may be gone after it.
  auto* r = new QueryContext;
  r->load(ctx.query_wire(), Transport::internal, ctx.client());
  r->bind(&ctx.worker(), &sink_, nullptr);
  const Chain* chain = ctx.chain();
  const size_t pos = ctx.position() + 1;
  ctx.reply();
  r->run_from(chain, pos);
}

void Cache::on_reply(QueryContext& ctx, uint64_t cookie) {
  if (cookie == kVerifyStale) {
    const uint16_t rc = dns::response_rcode(ctx.response());
    if (rc != dns::rcode::NOERROR && rc != dns::rcode::NXDOMAIN && serve_stale_copy(ctx)) return;
  }
  // As CoreDNS: the asker gets the TTL the cache will count down from, so answers do not
  // jump from the upstream's TTL to the capped one on the next query.
  uint32_t ttl;
  if (store(ctx.q(), ctx.response(), &ttl) && !cfg_.keepttl) set_ttls(ctx.response(), ctx.q(), ttl);
}

bool Cache::serve_stale_copy(QueryContext& ctx) {
  // The upstream failed: the stale answer goes out instead, with TTL 0.
  const Key key = Key::of(ctx.q());
  std::vector<uint8_t>& out = ctx.response();
  if (store_.lookup(key, clock_(), cfg_.stale_ns, {}, false, false, out).found != Found::stale) {
    return false;
  }
  std::vector<uint8_t> failed(out);
  store_.lookup(key, clock_(), cfg_.stale_ns, {}, false, true, out);
  if (!patch(out, ctx.q(), 0, cfg_.keepttl)) {
    out.swap(failed);
    return false;
  }
  served_stale_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Cache::store(const dns::QueryView& q, std::span<const uint8_t> wire, uint32_t* ttl_out) {
  const Classified c = classify(wire, q);
  uint32_t ttl;
  Pool pool;
  switch (c.kind) {
    case Kind::success:
      if (in_zones(q.qname_lower, success_off_)) return false;
      ttl = clamp_ttl(c.ttl, cfg_.success), pool = Pool::success;
      break;
    case Kind::denial:
      if (in_zones(q.qname_lower, denial_off_)) return false;
      ttl = clamp_ttl(c.ttl, cfg_.denial), pool = Pool::denial;
      break;
    case Kind::servfail:
      if (cfg_.servfail_ttl == 0 || in_zones(q.qname_lower, denial_off_)) return false;
      ttl = cfg_.servfail_ttl, pool = Pool::denial;
      break;
    default:
      if (c.mismatch) drops_.fetch_add(1, std::memory_order_relaxed);
      return false;
  }
  // One answer per question: a newer one of the other kind replaces the old.
  if (!store_.insert(pool, Key::of(q), wire, ttl, clock_())) return false;  // over the bound
  if (ttl_out) *ttl_out = ttl;
  return true;
}

void Cache::RefreshSink::deliver(QueryContext& ctx) {
  // A failed refresh (upstream down) keeps the entry it was refreshing, stale or not, rather
  // than replacing it by a SERVFAIL: that entry is what serve_stale is there to serve.
  const uint16_t rc = dns::response_rcode(ctx.response());
  const bool usable = rc == dns::rcode::NOERROR || rc == dns::rcode::NXDOMAIN;
  if (!usable || !cache_.store(ctx.q(), ctx.response(), nullptr)) {
    cache_.store_.refresh_done(Key::of(ctx.q()));
  }
  delete &ctx;
}

void Cache::collect_metrics(std::vector<metrics::Sample>& out) const {
  auto add = [&](const char* name, const char* help, bool counter, const char* type, double v) {
    metrics::Sample s{name, help, counter, {}, v};
    if (type) s.labels = {{"type", type}};
    out.push_back(std::move(s));
  };
  add("coredns_cache_entries", "The number of elements in the cache.", false, "success",
      double(entries_success()));
  add("coredns_cache_entries", "The number of elements in the cache.", false, "denial",
      double(entries_denial()));
  add("cxxdns_cache_size_bytes", "Bytes the entries of the cache take.", false, "success",
      double(store_.bytes(Pool::success)));
  add("cxxdns_cache_size_bytes", "Bytes the entries of the cache take.", false, "denial",
      double(store_.bytes(Pool::denial)));
  add("coredns_cache_hits_total", "The count of cache hits.", true, "success",
      double(hits_success()));
  add("coredns_cache_hits_total", "The count of cache hits.", true, "denial",
      double(hits_denial()));
  add("coredns_cache_misses_total", "The count of cache misses.", true, nullptr, double(misses()));
  add("coredns_cache_requests_total", "The count of cache requests.", true, nullptr,
      double(requests()));
  add("coredns_cache_prefetch_total", "The number of times the cache has prefetched a cached item.",
      true, nullptr, double(prefetches()));
  add("coredns_cache_served_stale_total", "The number of requests served from stale cache entries.",
      true, nullptr, double(served_stale()));
  add("coredns_cache_evictions_total", "The count of cache evictions.", true, "success",
      double(evictions_success()));
  add("coredns_cache_evictions_total", "The count of cache evictions.", true, "denial",
      double(evictions_denial()));
  add("coredns_cache_drops_total",
      "The number responses that are not cached, because the reply is malformed.", true, nullptr,
      double(drops()));
}
}  // namespace cxxdns::plugins::cache
