// What the plugins of one configuration asked the server to run beside their queries,
// registered at setup (SetupContext::on_startup...), as CoreDNS's OnStartup/OnShutdown and
// ready.Readiness: a plugin with none of them is just its serve().
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cxxdns {

struct ControlInfo;
struct WorkerInfo;

struct Lifecycle {
  struct Readiness {
    std::string plugin;  // its name, for /ready's list of what is not ready
    std::function<bool()> ready;
  };

  // On the control thread, once the whole configuration is built and before any query
  // (file watchers, HTTP endpoints); one that throws refuses the configuration.
  std::vector<std::function<void(ControlInfo&)>> startup;
  // On the control thread, after the last query (also after a refused startup: each must
  // cope with a startup that did not run).
  std::vector<std::function<void()>> shutdown;
  // On each worker's thread, with its loop (per-worker sockets and timers).
  std::vector<std::function<void(WorkerInfo&)>> worker_start, worker_stop;
  std::vector<Readiness> readiness;
  // How long DNS must keep being served once a stop is asked for (health's lameduck), ms.
  std::vector<std::function<uint64_t()>> lameduck;

  void start(ControlInfo& control) const {
    for (auto& f : startup) f(control);
  }
  void stop() const {
    for (auto& f : shutdown) f();
  }
  void start_worker(WorkerInfo& w) const {
    for (auto& f : worker_start) f(w);
  }
  void stop_worker(WorkerInfo& w) const {
    for (auto& f : worker_stop) f(w);
  }
  uint64_t lameduck_ms() const {
    uint64_t ms = 0;
    for (auto& f : lameduck) ms = std::max(ms, f());
    return ms;
  }
};

}  // namespace cxxdns
