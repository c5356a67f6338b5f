#include "plugins/cache/cache.h"

#include <algorithm>

#include "core/plugin/internal_query.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins::cache {

namespace {
constexpr uint16_t kAxfr = 252, kIxfr = 251;
static_assert(dns::kPackedShapeMax <= kMaxMeta, "an entry keeps its answer's packed shape");

uint32_t clamp_ttl(uint32_t ttl, const TypeConfig& t) {
  return std::min(std::max(ttl, t.min_ttl), t.max_ttl);
}

metrics::Counter& registered(const char* name, const char* help, const char* type = nullptr) {
  auto& reg = metrics::Registry::global();
  if (!type) return reg.counter(name, help).with(std::vector<std::string>{});
  return reg.counter(name, help, {"type"}).with({type});
}

// coredns_cache_requests_total is every hit and miss: summed at scrape time from those
// counters rather than counted a third time on the query path.
void register_requests_total() {
  static const bool once = [] {
    auto& reg = metrics::Registry::global();
    auto& requests =
        reg.gauge("coredns_cache_requests_total", "The count of cache requests.", {}, true);
    metrics::Counter& hs =
        registered("coredns_cache_hits_total", "The count of cache hits.", "success");
    metrics::Counter& hd =
        registered("coredns_cache_hits_total", "The count of cache hits.", "denial");
    metrics::Counter& m = registered("coredns_cache_misses_total", "The count of cache misses.");
    reg.on_collect([&] {
      requests.with(std::vector<std::string>{}).set(double(hs.value() + hd.value() + m.value()));
    });
    return true;
  }();
  (void)once;
}
}  // namespace

Cache::Cache(CacheConfig cfg)
    : cfg_(std::move(cfg)),
      zones_(cfg_.zones),
      success_off_(cfg_.success.disabled_zones),
      denial_off_(cfg_.denial.disabled_zones),
      store_(cfg_.success.capacity, cfg_.denial.capacity, cfg_.max_bytes),
      prefetch_rule_{cfg_.prefetch_amount, cfg_.prefetch_duration_ns, cfg_.prefetch_percentage},
      hits_success_(registered("coredns_cache_hits_total", "The count of cache hits.", "success")),
      hits_denial_(registered("coredns_cache_hits_total", "The count of cache hits.", "denial")),
      misses_(registered("coredns_cache_misses_total", "The count of cache misses.")),
      prefetch_(registered("coredns_cache_prefetch_total",
                           "The number of times the cache has prefetched a cached item.")),
      served_stale_(registered("coredns_cache_served_stale_total",
                               "The number of requests served from stale cache entries.")),
      drops_(registered("coredns_cache_drops_total",
                        "The number responses that are not cached, because the reply is "
                        "malformed.")) {
  register_requests_total();
  auto& reg = metrics::Registry::global();
  auto& entries = reg.collected_gauge("coredns_cache_entries",
                                      "The number of elements in the cache.", {"type"});
  auto& evictions = reg.collected_gauge("coredns_cache_evictions_total",
                                        "The count of cache evictions.", {"type"}, true);
  auto& bytes = reg.collected_gauge("cxxdns_cache_size_bytes",
                                    "Bytes the entries of the cache take.", {"type"});
  gauges_ = reg.collector([this, &entries, &evictions, &bytes] {
    entries.with({"success"}).add(double(entries_success()));
    entries.with({"denial"}).add(double(entries_denial()));
    bytes.with({"success"}).add(double(bytes_success()));
    bytes.with({"denial"}).add(double(bytes_denial()));
    evictions.with({"success"}).add(double(evictions_success()));
    evictions.with({"denial"}).add(double(evictions_denial()));
  });
}

Verdict Cache::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (q.qtype == kAxfr || q.qtype == kIxfr || !zones_.contains(q.qname_lower)) return ctx.next();
  const int shard = ctx.worker().index;
  const Key key = Key::of(q);
  const uint64_t now = clock_();
  const bool verify = cfg_.stale_mode == StaleMode::verify;
  // In verify mode a stale entry is not copied now: the upstream is asked first.
  Lookup r = store_.lookup(key, now, cfg_.stale_ns, prefetch_rule_, !verify, true,
                           ctx.writable_response());
  if (r.found == Found::none || (r.found == Found::stale && verify)) {
    misses_.inc(shard);
    const bool stale = r.found == Found::stale;
    pkg::note(ctx, "cache", stale ? "stale, verifying with the next plugin" : "miss");
    ctx.on_reply(this, stale ? kVerifyStale : kMiss);
    return ctx.next();
  }
  (r.pool == Pool::success ? hits_success_ : hits_denial_).inc(shard);
  if (r.found == Found::stale) {
    served_stale_.inc(shard);
  } else if (r.refresh) {
    prefetch_.inc(shard);
  }
  if (pkg::tracing(ctx)) {
    pkg::note(ctx, "cache",
              r.found == Found::stale ? "stale hit, refreshing"
                                      : "hit, " + std::to_string(r.remaining) + "s left" +
                                            (r.refresh ? ", prefetching" : ""));
  }
  return answer(ctx, r, r.found == Found::stale ? 0 : r.remaining);
}

const dns::AnswerShape& Cache::copy_shape(QueryContext& ctx, const Lookup& r) {
  // The shape stored with the entry: the copy is not walked (a cache hit's largest cost).
  const uint32_t question_end = dns::kHeaderSize + ctx.q().qname.len + 4;
  dns::AnswerShape& shape = ctx.fill_shape();
  if (dns::unpack_shape(r.meta, r.meta_len, ctx.response(), question_end, shape)) return shape;
  dns::read_shape_after(ctx.response(), question_end, shape);  // too many records to keep
  return shape;
}

Verdict Cache::answer(QueryContext& ctx, const Lookup& r, uint32_t ttl) {
  const dns::AnswerShape& shape = copy_shape(ctx, r);
  if (!patch(ctx.response_bytes(), shape, ctx.q(), ttl, cfg_.keepttl)) {
    return ctx.reply_rcode(
        dns::rcode::SERVFAIL);  // cannot happen: only walkable answers are stored
  }
  if (!r.refresh) return ctx.reply();
  // The refresh runs through the plugins after this one as an internal query of its own;
  // it is sent before the reply because ctx may be gone after it.
  send_internal(ctx.worker(), ctx.chain(), ctx.position() + 1, ctx.query_wire(), ctx.client(),
                ctx.depth(), [this](QueryContext& answered) { refreshed(answered); });
  return ctx.reply();
}

void Cache::on_reply(QueryContext& ctx, uint64_t cookie) {
  if (cookie == kVerifyStale) {
    const uint16_t rc = ctx.shape().rcode;
    if (rc != dns::rcode::NOERROR && rc != dns::rcode::NXDOMAIN && serve_stale_copy(ctx)) return;
  }
  // As CoreDNS: the asker gets the TTL the cache will count down from, so answers do not
  // jump from the upstream's TTL to the capped one on the next query.
  uint32_t ttl;
  if (store(ctx, &ttl) && !cfg_.keepttl) dns::rewrite_ttls(ctx.response_bytes(), ctx.shape(), ttl);
}

bool Cache::serve_stale_copy(QueryContext& ctx) {
  // The upstream failed: the stale answer goes out instead, with TTL 0.
  const Key key = Key::of(ctx.q());
  std::vector<uint8_t> scratch;
  if (store_.lookup(key, clock_(), cfg_.stale_ns, {}, false, true, scratch).found != Found::stale) {
    return false;
  }
  dns::AnswerShape shape;
  if (!dns::read_shape(scratch, shape) || !patch(scratch, shape, ctx.q(), 0, cfg_.keepttl)) {
    return false;
  }
  ctx.writable_response().swap(scratch);
  ctx.set_shape(shape);
  served_stale_.inc(ctx.worker().index);
  return true;
}

bool Cache::store(QueryContext& ctx, uint32_t* ttl_out) {
  const dns::QueryView& q = ctx.q();
  const Classified c = classify(ctx.response(), ctx.shape(), q);
  uint32_t ttl;
  Pool pool;
  switch (c.kind) {
    case Kind::success:
      if (success_off_.contains(q.qname_lower)) return false;
      ttl = clamp_ttl(c.ttl, cfg_.success), pool = Pool::success;
      break;
    case Kind::denial:
      if (denial_off_.contains(q.qname_lower)) return false;
      ttl = clamp_ttl(c.ttl, cfg_.denial), pool = Pool::denial;
      break;
    case Kind::servfail:
      if (cfg_.servfail_ttl == 0 || denial_off_.contains(q.qname_lower)) return false;
      ttl = cfg_.servfail_ttl, pool = Pool::denial;
      break;
    default:
      if (c.mismatch) drops_.inc(ctx.worker().index);
      return false;
  }
  // One answer per question: a newer one of the other kind replaces the old. Its shape is
  // kept with it, so that a hit does not read it again.
  uint8_t packed[dns::kPackedShapeMax];
  const size_t packed_len = dns::pack_shape(ctx.shape(), packed);
  if (!store_.insert(pool, Key::of(q), ctx.response(), ttl, clock_(), {packed, packed_len})) {
    return false;  // over the byte bound
  }
  if (ttl_out) *ttl_out = ttl;
  return true;
}

void Cache::refreshed(QueryContext& answered) {
  // A failed refresh (upstream down) keeps the entry it was refreshing, stale or not, rather
  // than replacing it by a SERVFAIL: that entry is what serve_stale is there to serve.
  const uint16_t rc = answered.shape().rcode;
  const bool usable = rc == dns::rcode::NOERROR || rc == dns::rcode::NXDOMAIN;
  if (!usable || !store(answered, nullptr)) store_.refresh_done(Key::of(answered.q()));
}

}  // namespace cxxdns::plugins::cache
