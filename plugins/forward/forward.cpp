#include "plugins/forward/forward.h"

#include <algorithm>
#include <cstring>

#include "core/dns/message.h"
#include "core/dns/text.h"
#include "core/log/log.h"
#include "core/plugin/config.h"
#include "plugins/forward/exchange.h"
#include "plugins/forward/tcp_conn.h"
#include "plugins/forward/udp_pool.h"

namespace cxxdns::plugins::forward {

Forward::Forward(std::vector<std::unique_ptr<Block>> blocks, int workers)
    : blocks_(std::move(blocks)) {
  for (int i = 0; i < std::max(workers, 1); ++i) workers_.push_back(std::make_unique<Worker>());
  metrics_ = metrics::Registry::global().collector([this] { collect(); });
}

Forward::~Forward() = default;

uint64_t Forward::max_concurrent_rejects() const {
  uint64_t n = 0;
  for (auto& b : blocks_) n += b->max_concurrent_rejects.load(std::memory_order_relaxed);
  return n;
}

uint64_t Forward::healthcheck_broken() const {
  uint64_t n = 0;
  for (auto& b : blocks_) n += b->healthcheck_broken.load(std::memory_order_relaxed);
  return n;
}

size_t Forward::exchanges() const {
  size_t n = 0;
  for (auto& w : workers_) n += w->all.size();
  return n;
}

size_t Forward::block_for(QueryContext& ctx, size_t first) {
  // The name in text form only when a block needs it (`forward .` with no `except` does not).
  size_t bi = first;
  while (bi < blocks_.size() && !blocks_[bi]->opts.matches_everything() &&
         !blocks_[bi]->opts.matches(ctx.qname_text()))
    ++bi;
  return bi;
}

Verdict Forward::serve(QueryContext& ctx) {
  const size_t bi = block_for(ctx, 0);
  if (bi == blocks_.size()) return ctx.next();
  Deferral d = ctx.defer();
  start(std::move(d.query), bi);
  return d.verdict;
}

void Forward::start(PendingQuery query, size_t bi) {
  Block& b = *blocks_[bi];
  const ForwardOptions& o = b.opts;
  if (o.max_concurrent > 0 &&
      b.inflight.fetch_add(1, std::memory_order_relaxed) >= int64_t(o.max_concurrent)) {
    b.inflight.fetch_sub(1, std::memory_order_relaxed);
    b.max_concurrent_rejects.fetch_add(1, std::memory_order_relaxed);
    query.fail(dns::rcode::REFUSED, "plugin/forward: concurrent queries exceeded maximum " +
                                        std::to_string(o.max_concurrent));
    return;
  }
  if (o.max_concurrent == 0) b.inflight.fetch_add(1, std::memory_order_relaxed);

  Worker& w = *workers_[static_cast<size_t>(query->worker().index) % workers_.size()];
  // The order of upstreams for this query: healthy ones, by policy.
  uint8_t order[kMaxUpstreams];
  size_t n = 0;
  const size_t total = o.upstreams.size();
  size_t start = 0;
  if (o.policy == Policy::round_robin) start = w.round_robin++ % total;
  for (size_t i = 0; i < total; ++i) {
    size_t k = (start + i) % total;
    if (!o.upstreams[k]->down(o.max_fails)) order[n++] = static_cast<uint8_t>(k);
  }
  if (o.policy == Policy::random && n > 1) std::shuffle(order, order + n, w.ids);
  if (n == 0) {
    if (o.failfast_all_unhealthy) {
      b.inflight.fetch_sub(1, std::memory_order_relaxed);
      query.fail(dns::rcode::SERVFAIL, "plugin/forward: no healthy proxies");
      return;
    }
    // All down: health checking itself may be what is broken; try one at random.
    b.healthcheck_broken.fetch_add(1, std::memory_order_relaxed);
    order[n++] = static_cast<uint8_t>(w.ids.next32() % total);
  }
  acquire(w)->start_query(this, std::move(query), bi, order, n);
}

void Forward::finish(PendingQuery query, size_t block) {
  Block& b = *blocks_[block];
  b.inflight.fetch_sub(1, std::memory_order_relaxed);
  const uint16_t rc = query->shape().rcode;
  // `next RCODE`: hand the query to the next forward directive, as CoreDNS does when the
  // next plugin is a forward; without one the answer stands.
  if (block + 1 < blocks_.size() && std::find(b.opts.next_rcodes.begin(), b.opts.next_rcodes.end(),
                                              rc) != b.opts.next_rcodes.end()) {
    const size_t next = block_for(query.ctx(), block + 1);
    if (next == blocks_.size()) return query.next();
    return start(std::move(query), next);
  }
  query.reply();
}

Exchange* Forward::acquire(Worker& w) {
  if (!w.free.empty()) {
    Exchange* ex = w.free.back();
    w.free.pop_back();
    return ex;
  }
  auto* ex = new Exchange(w);
  w.all.insert(ex);
  return ex;
}

void Forward::release(Worker& w, Exchange* ex) {
  ex->trim();
  if (w.free.size() >= kMaxFreeExchanges && !w.stopping) {
    // A burst is over: what the pool does not need goes back.
    w.all.erase(ex);
    ex->retire();
    return;
  }
  w.free.push_back(ex);
}

Forward::Worker::TcpSlots& Forward::Worker::slots(Upstream* up) {
  for (auto& s : tcp_slots) {
    if (s.up == up) return s;
  }
  tcp_slots.push_back(TcpSlots{up, 0, {}});
  return tcp_slots.back();
}

void Forward::Worker::tcp_room(Upstream* up) {
  if (stopping) return;
  TcpSlots& s = slots(up);
  if (s.waiting.empty()) return;
  const bool idle =
      std::any_of(idle_tcp.begin(), idle_tcp.end(), [up](const TcpConn* c) { return c->up == up; });
  if (!idle && s.open >= kTcpMaxConns) return;
  Exchange* ex = s.waiting.front();
  s.waiting.pop_front();
  ex->resume_tcp();
}

void Forward::start_worker(WorkerInfo& info) {
  Worker& w = *workers_[static_cast<size_t>(info.index) % workers_.size()];
  w.loop = info.loop;
  w.index = info.index;
  w.stopping = false;
  // Each worker can check each upstream; Upstream::checking keeps it to one at a time.
  start_probes(w);
}

void Forward::stop_worker(WorkerInfo& info) {
  Worker& w = *workers_[static_cast<size_t>(info.index) % workers_.size()];
  w.stopping = true;
  for (auto& p : w.probes) {
    // The timer's close callback deletes the probe: libuv still holds the handle until then.
    Probe* probe = p.release();
    if (probe->running) probe->up->checking.store(false, std::memory_order_relaxed);
    uv_timer_stop(&probe->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&probe->timer),
             [](uv_handle_t* h) { delete static_cast<Probe*>(h->data); });
  }
  w.probes.clear();
  for (TcpConn* c : w.idle_tcp) c->close(nullptr);
  w.idle_tcp.clear();
  for (Exchange* ex : w.all) ex->shutdown();
  w.all.clear();
  w.tcp_slots.clear();
  while (!w.udp_socks.empty()) w.udp_socks.back()->close();
  w.free.clear();
  if (w.doh) w.doh->close();  // after the exchanges: they cancelled their requests
  w.doh = nullptr;
}

void Forward::find_tap(const BlockConfig& block) {
  // CoreDNS's forward taps through the block's dnstap (f.tapPlugins); without one, nothing.
  tap_ = dynamic_cast<pkg::MessageTap*>(find_plugin(block, "dnstap"));
}

DohClient* Forward::Worker::doh_client(std::string& err) {
  if (doh) return doh;
  const pkg::CurlLibrary* curl = pkg::curl_library(&err);
  if (curl) doh = new DohClient(loop, *curl);  // close() frees it
  return doh;
}

void Forward::collect() const {
  auto& reg = metrics::Registry::global();
  // Counts this instance keeps (they start over when a reload replaces it). The per-upstream
  // series are the registry's coredns_proxy_* (proxy_metrics.h).
  static auto& rejects = reg.collected_gauge(
      "coredns_forward_max_concurrent_rejects_total",
      "Counter of the number of queries rejected because the concurrent queries were at maximum.",
      {}, true);
  static auto& broken = reg.collected_gauge(
      "coredns_forward_healthcheck_broken_total",
      "Counter of the number of complete failures of the healthchecks.", {}, true);
  rejects.with(std::vector<std::string>{}).add(double(max_concurrent_rejects()));
  broken.with(std::vector<std::string>{}).add(double(healthcheck_broken()));
}

}  // namespace cxxdns::plugins::forward
