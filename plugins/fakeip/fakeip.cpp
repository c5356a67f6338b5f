#include "plugins/fakeip/fakeip.h"

#include <arpa/inet.h>

#include "core/dns/reverse.h"
#include "core/dns/writer.h"
#include "core/log/log.h"
#include "core/plugin/kept.h"
#include "plugins/fakeip/persist.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

namespace {
constexpr uint64_t kNs = 1000000000ull;

metrics::Counter& registered(const char* name, const char* help) {
  return metrics::Registry::global().counter(name, help).with(std::vector<std::string>{});
}
}  // namespace

Fakeip::Fakeip(FakeipOptions opts)
    : opts_(std::move(opts)),
      zones_(opts_.zones),
      allocations_(
          registered("cxxdns_fakeip_allocations_total", "Fake addresses handed to new names.")),
      recycled_(registered("cxxdns_fakeip_recycled_total",
                           "Addresses taken from the least recently used name when a pool was "
                           "full.")),
      filtered_(registered("cxxdns_fakeip_filtered_total",
                           "Queries a filter passed to the next plugin.")),
      exhausted_(registered("cxxdns_fakeip_exhausted_total",
                            "New names refused because no address was safe to recycle.")),
      rate_limited_(registered("cxxdns_fakeip_rate_limited_total",
                               "New names refused because their client was over its rate.")),
      limit_(opts_.rate, opts_.burst) {
  // One pool per range (and size) for the whole process, the same object across a reload,
  // so names keep their addresses (connections through the gateway depend on them).
  auto pool_for = [size = opts_.size](const Cidr& r) {
    return kept_across_reloads<FakePool>("fakeip/" + r.to_string() + "/" + std::to_string(size),
                                         [&] { return std::make_shared<FakePool>(r, size); });
  };
  pool4_ = pool_for(opts_.range4);
  pools_.push_back(pool4_.get());
  if (opts_.has_range6) {
    pool6_ = pool_for(opts_.range6);
    pools_.push_back(pool6_.get());
  }
  auto& used = metrics::Registry::global().collected_gauge(
      "cxxdns_fakeip_pool_used", "Addresses of the pools mapped to a name.");
  pool_used_metric_ = metrics::Registry::global().collector(
      [this, &used] { used.with(std::vector<std::string>{}).add(double(pool_used())); });
}

uint64_t Fakeip::pool_used() const {
  return pool4_->used() + (pool6_ ? pool6_->used() : 0);
}

uint64_t Fakeip::versions() const {
  return pool4_->version() + (pool6_ ? pool6_->version() : 0);
}

void Fakeip::start(ControlInfo& control) {
  if (opts_.persist.empty()) return;
  for (FakePool* p : pools_) journals_.push_back(p->open_journal());
  if (pool_used() == 0) {
    // Loaded mappings count as used now: none is recycled before ttl + grace has passed.
    Loaded l = load_mappings(opts_.persist, pools_, clock_() / kNs);
    if (l.mappings)
      log::info("plugin/fakeip: loaded {} mappings from {}", l.mappings, opts_.persist);
    lines_in_file_ = l.lines;
  } else {
    rewrite_ = true;  // a pool kept from before a reload holds the mapping (newer than the file)
  }
  saved_version_ = versions();
  // Debounced: at most one write a second, from the control loop, never on the query path.
  timer_.start(control.loop, 1000, 1000, [this] { save_if_changed(); });
}

void Fakeip::stop() {
  timer_.close();
  save_if_changed();
  for (size_t i = 0; i < journals_.size(); ++i) pools_[i]->close_journal(journals_[i]);
  journals_.clear();
}

std::string Fakeip::write_persist_file() {
  std::vector<Mapping> lines;
  for (size_t i = 0; i < journals_.size(); ++i) {
    if (!pools_[i]->take_journal(journals_[i], lines)) rewrite_ = true;
  }
  // Appending forever would make the file, and the next start, grow without bound.
  if (lines_in_file_ + lines.size() > 2 * pool_used() + 1024) rewrite_ = true;
  std::string err;
  if (rewrite_) {
    err = save_mappings(opts_.persist, pools_);
    if (err.empty()) lines_in_file_ = pool_used(), rewrite_ = false;
  } else if (!lines.empty()) {
    err = append_mappings(opts_.persist, lines);
    if (err.empty()) lines_in_file_ += lines.size();
  }
  if (!err.empty()) rewrite_ = true;  // the journal is spent: the next try writes it all
  return err;
}

void Fakeip::save_if_changed() {
  if (opts_.persist.empty()) return;
  uint64_t v = versions();
  if (v == saved_version_ && !rewrite_) return;
  std::string err = write_persist_file();
  if (!err.empty()) {
    // Retried at the next tick; said once until a write succeeds, not every second.
    if (!save_failing_) log::error("plugin/fakeip: {}", err);
    save_failing_ = true;
    return;
  }
  if (save_failing_) log::info("plugin/fakeip: wrote {} again", opts_.persist);
  save_failing_ = false;
  saved_version_ = v;
}

std::string Fakeip::write_fake(QueryContext& ctx, FakePool& pool) {
  uint8_t addr[16];
  const uint64_t now_ns = clock_();
  FakePool::Result r =
      pool.lookup_or_assign(ctx.qname_text(), addr, now_ns / kNs, opts_.ttl + opts_.grace_s,
                            [&] { return limit_.allow(ctx.client(), now_ns); });
  if (r.refused) {
    rate_limited_.inc(ctx.worker().index);
    return "plugin/fakeip: no address for " + std::string(ctx.qname_text()) + ": client " +
           ctx.client().ip() + " is over its rate of new names";
  }
  if (r.exhausted) {
    exhausted_.inc(ctx.worker().index);
    return "plugin/fakeip: no address for " + std::string(ctx.qname_text()) +
           ": every address of " + pool.range().to_string() + " was used in the last " +
           std::to_string(opts_.ttl + opts_.grace_s) + "s";
  }
  if (r.allocated) allocations_.inc(ctx.worker().index);
  if (r.recycled) recycled_.inc(ctx.worker().index);
  if (pkg::tracing(ctx)) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(pool.range().family == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
    pkg::note(ctx, "fakeip", std::string(r.allocated ? "faked, new " : "faked ") + text);
  }
  const dns::QueryView& q = ctx.q();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  if (pool.range().family == 4) {
    w.a(q.qname, opts_.ttl, addr);
  } else {
    w.aaaa(q.qname, opts_.ttl, addr);
  }
  return {};
}

void Fakeip::write_nodata(QueryContext& ctx) {
  // No SOA: fakeip is authoritative for no zone it could name one for.
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
}

Verdict Fakeip::serve_ptr(QueryContext& ctx) {
  uint8_t addr[16] = {};
  int family = dns::parse_reverse_name(ctx.qname_text(), addr);
  for (FakePool* p : pools_) {
    if (family != p->range().family) continue;
    std::string target;
    switch (p->reverse(addr, target, clock_() / kNs)) {
      case FakePool::Reverse::outside:
        continue;
      case FakePool::Reverse::unmapped:
        if (opts_.fallthrough.through(ctx.q().qname_lower)) return ctx.next();
        return ctx.reply_rcode(dns::rcode::NXDOMAIN);
      case FakePool::Reverse::mapped: {
        dns::Name n;
        if (!dns::from_text(target, n)) return ctx.reply_rcode(dns::rcode::SERVFAIL);
        dns::MessageWriter w(ctx.writable_response());
        w.start_reply(ctx.q(), dns::rcode::NOERROR, true);
        w.name_rr(ctx.q().qname, dns::type::PTR, opts_.ttl, n);
        return ctx.reply();
      }
    }
  }
  return ctx.next();
}

Verdict Fakeip::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (q.qclass != dns::cls::IN) return ctx.next();
  if (q.qtype == dns::type::PTR) return serve_ptr(ctx);
  if (q.qtype != dns::type::A && q.qtype != dns::type::AAAA) return ctx.next();

  if (!zones_.contains(q.qname_lower)) return ctx.next();
  std::string_view qname = ctx.qname_text();
  if (opts_.filter.match(qname)) {
    filtered_.inc(ctx.worker().index);
    pkg::note(ctx, "fakeip", "filtered, next");
    return ctx.next();
  }
  FakePool* pool = q.qtype == dns::type::A ? pool4_.get() : pool6_.get();
  if (!pool && opts_.fallthrough.through(q.qname_lower)) return ctx.next();
  if (opts_.verify) {
    // Ask the next plugin first; on_reply fakes only a name that has addresses there.
    ctx.on_reply(this, q.qtype);
    pkg::note(ctx, "fakeip", "verify: asking the next plugin first");
    return ctx.next();
  }
  if (!pool) {
    write_nodata(ctx);
  } else if (std::string why = write_fake(ctx, *pool); !why.empty()) {
    // Never another name's address: no answer is better than a hijacked one.
    return ctx.fail(dns::rcode::SERVFAIL, why);
  }
  return ctx.reply();
}

void Fakeip::on_reply(QueryContext& ctx, uint64_t cookie) {
  const std::vector<uint8_t>& resp = ctx.response();
  if (resp.size() < 12) return;
  dns::Header h = dns::Header::read(resp.data());
  if (h.rcode() != dns::rcode::NOERROR) {
    pkg::note(ctx, "fakeip", "verify: upstream said no, answer passed through");
    return;
  }
  bool has_address = false;
  bool ok = dns::walk_records(resp, [&](const dns::RecordRef& r) {
    if (r.section != dns::Section::answer) return false;
    if (r.type == cookie) has_address = true;
    return !has_address;
  });
  if (!ok || !has_address) {  // NXDOMAIN, NODATA, a malformed answer: passed on as they are
    pkg::note(ctx, "fakeip", "verify: no address upstream, answer passed through");
    return;
  }
  FakePool* pool = cookie == dns::type::A ? pool4_.get() : pool6_.get();
  if (pool) {
    if (std::string why = write_fake(ctx, *pool); !why.empty()) {
      pkg::note(ctx, "fakeip", why);
      dns::MessageWriter w(ctx.writable_response());
      w.start_reply(ctx.q(), dns::rcode::SERVFAIL, false);
    }
  } else {
    // AAAA without range6: the name exists, but its real IPv6 addresses would bypass the
    // gateway.
    write_nodata(ctx);
  }
}

}  // namespace cxxdns::plugins
