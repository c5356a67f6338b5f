// Health checks, as CoreDNS's: none while an upstream answers. A failed try starts a probe
// loop on the worker that saw it (`. IN NS` at once, then every `health_check` interval) that
// runs until the upstream answers one; `max_fails` failed probes in a row mark it down, the
// first answer marks it up and stops the loop. Upstream::checking keeps one loop per upstream
// over all workers; the down/up state is shared by all.
#include <algorithm>
#include <chrono>

#include "core/dns/message.h"
#include "core/log/log.h"
#include "plugins/forward/exchange.h"
#include "plugins/forward/forward.h"

namespace cxxdns::plugins::forward {

namespace {

// `NAME IN NS`, RD unless no_rec: the probe's query (its ID is set per try).
std::vector<uint8_t> probe_query(const ForwardOptions& o, const dns::Name& qname) {
  std::vector<uint8_t> q(dns::kHeaderSize);
  dns::Header h;
  h.flags = o.health_check_rd ? dns::flag::RD : 0;
  h.qdcount = 1;
  h.write(q.data());
  q.insert(q.end(), qname.data, qname.data + qname.len);
  uint8_t tail[4];
  dns::put16(tail, dns::type::NS);
  dns::put16(tail + 2, dns::cls::IN);
  q.insert(q.end(), tail, tail + 4);
  return q;
}

void on_probe_timer(uv_timer_t* t) {
  auto* pr = static_cast<Probe*>(t->data);
  if (pr->in_flight || pr->worker->stopping) return;
  pr->in_flight = true;
  pr->fw->acquire(*pr->worker)->start_probe(pr);
}

}  // namespace

void Forward::start_probes(Worker& w) {
  for (auto& bp : blocks_) {
    Block& b = *bp;
    if (b.opts.max_fails == 0 || b.opts.health_check.count() <= 0) continue;
    for (auto& up : b.opts.upstreams) {
      auto p = std::make_unique<Probe>();
      p->fw = this;
      p->worker = &w;
      p->block = &b;
      p->up = up.get();
      dns::from_text(b.opts.health_check_domain, p->qname);
      p->query = probe_query(b.opts, p->qname);
      uv_timer_init(w.loop, &p->timer);
      p->timer.data = p.get();
      w.probes.push_back(std::move(p));
    }
  }
}

void Forward::health_check(Worker& w, const Block& b, Upstream& up) {
  if (w.stopping || up.checking.load(std::memory_order_relaxed)) return;
  for (auto& p : w.probes) {
    if (p->up != &up || p->block != &b) continue;
    if (up.checking.exchange(true, std::memory_order_relaxed)) return;  // another worker's
    p->running = true;
    const uint64_t ms = std::max<uint64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(b.opts.health_check).count());
    uv_timer_start(&p->timer, on_probe_timer, 0, ms);
    return;
  }
}

void Probe::done(bool ok) {
  in_flight = false;
  if (ok) {
    if (up->fails.exchange(0, std::memory_order_relaxed) >= block->opts.max_fails) {
      log::info("plugin/forward: upstream {} is healthy again", up->to);
    }
    // Healthy: no more checks until the next failed try.
    running = false;
    uv_timer_stop(&timer);
    up->checking.store(false, std::memory_order_relaxed);
    return;
  }
  up->healthcheck_failures.fetch_add(1, std::memory_order_relaxed);
  count_healthcheck_failure(up->metrics, *up, worker->index);
  if (up->fails.fetch_add(1, std::memory_order_relaxed) + 1 == block->opts.max_fails) {
    log::warning("plugin/forward: upstream {} is down after {} failed health checks", up->to,
                 block->opts.max_fails);
  }
}

}  // namespace cxxdns::plugins::forward
