// The plugin interface: what every handler in a server block's chain implements.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/metrics/sample.h"

namespace cxxdns {

class QueryContext;
struct WorkerInfo;
struct ControlInfo;

class Plugin {
 public:
  virtual ~Plugin() = default;

  // The directive name, as in the Corefile ("cache", "forward").
  virtual std::string_view name() const = 0;

  // Handles one query. Exactly one of, now or later (from a callback on the same worker):
  //   ctx.reply() / ctx.reply_rcode() / ctx.fail()  -- answer it, or
  //   ctx.next()                                    -- pass it to the next plugin.
  // To see the final answer of the plugins after this one, call ctx.on_reply(this, cookie)
  // before ctx.next(). After next() or a reply, the context may already be gone: don't touch it.
  virtual void serve(QueryContext& ctx) = 0;

  // Called with the answer in ctx.response(), innermost hook first, for each hook this
  // plugin registered. It may read or rewrite the answer; it must not reply or call next().
  virtual void on_reply(QueryContext& ctx, uint64_t cookie) {}

  // Lifecycle. start(): on the control thread, once the whole configuration is built and
  // before any query (file watchers, HTTP endpoints). start_worker()/stop_worker(): on each
  // worker thread, with that worker's event loop (sockets, timers per worker).
  virtual void start(ControlInfo& control) {}
  virtual void start_worker(WorkerInfo& worker) {}
  virtual void stop_worker(WorkerInfo& worker) {}
  virtual void stop() {}

  // On shutdown, how long DNS must keep being served before the workers stop (health's
  // lameduck). The server waits for the longest of these with the control loop running.
  virtual uint64_t lameduck_ms() const { return 0; }

  // For the ready plugin: false until this plugin can answer (kubernetes before its state).
  virtual bool ready() const { return true; }

  // For the prometheus plugin, at scrape time on the control thread: this plugin's own
  // counters under CoreDNS's names (coredns_cache_hits_total...).
  virtual void collect_metrics(std::vector<metrics::Sample>& out) const {}
};

}  // namespace cxxdns
