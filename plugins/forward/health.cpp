// Health checks: a probe per upstream on a timer of the first worker; the down/up state they
// keep is shared by all workers.
#include <algorithm>
#include <chrono>

#include "core/dns/message.h"
#include "core/log/log.h"
#include "plugins/forward/exchange.h"
#include "plugins/forward/forward.h"

namespace cxxdns::plugins::forward {

void Forward::start_probes(Worker& w) {
  for (auto& bp : blocks_) {
    Block& b = *bp;
    if (b.opts.max_fails == 0) continue;
    for (auto& up : b.opts.upstreams) {
      auto p = std::make_unique<Probe>();
      p->fw = this;
      p->worker = &w;
      p->block = &b;
      p->up = up.get();
      dns::from_text(b.opts.health_check_domain, p->qname);
      p->query.resize(dns::kHeaderSize);
      dns::Header h;
      h.flags = b.opts.health_check_rd ? dns::flag::RD : 0;
      h.qdcount = 1;
      h.write(p->query.data());
      p->query.insert(p->query.end(), p->qname.data, p->qname.data + p->qname.len);
      uint8_t tail[4];
      dns::put16(tail, dns::type::NS);
      dns::put16(tail + 2, dns::cls::IN);
      p->query.insert(p->query.end(), tail, tail + 4);
      uv_timer_init(w.loop, &p->timer);
      p->timer.data = p.get();
      uint64_t ms = std::max<uint64_t>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(b.opts.health_check).count());
      if (b.opts.health_check.count() > 0) {
        uv_timer_start(
            &p->timer,
            [](uv_timer_t* t) {
              auto* pr = static_cast<Probe*>(t->data);
              if (pr->in_flight || pr->worker->stopping) return;
              pr->in_flight = true;
              pr->fw->acquire(*pr->worker)->start_probe(pr);
            },
            ms, ms);
      }
      w.probes.push_back(std::move(p));
    }
  }
}

void Probe::done(bool ok) {
  in_flight = false;
  if (ok) {
    if (up->fails.exchange(0, std::memory_order_relaxed) >= block->opts.max_fails) {
      log::info("plugin/forward: upstream {} is healthy again", up->to);
    }
    return;
  }
  up->healthcheck_failures.fetch_add(1, std::memory_order_relaxed);
  if (up->fails.fetch_add(1, std::memory_order_relaxed) + 1 == block->opts.max_fails) {
    log::warning("plugin/forward: upstream {} is down after {} failed health checks", up->to,
                 block->opts.max_fails);
  }
}

}  // namespace cxxdns::plugins::forward
