#include "core/server/server.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "core/log/log.h"
#include "core/metrics/metrics.h"
#include "core/server/loop.h"

namespace cxxdns {

namespace {
// Every 10 s, when the heap holds this much free memory, it goes back to the system: free()
// keeps pages for reuse, so what a burst (a flood of big answers, thousands of connections,
// clients that never read, forward's buffers in an upstream outage) made the heap grow by
// would otherwise stay with the process until it exits.
constexpr uint64_t kHeapTrimIntervalMs = 10000;
constexpr size_t kHeapTrimFreeBytes = 1 << 20;

void trim_heap(uv_timer_t*) {
  struct mallinfo2 mi = mallinfo2();  // every arena: the workers' too
  if (mi.fordblks >= kHeapTrimFreeBytes) malloc_trim(0);
}

void close_pair(const BoundSockets& s) {
  if (s.udp >= 0) ::close(s.udp);
  if (s.tcp >= 0) ::close(s.tcp);
}

// tls:// and https:// listen on TCP only.
BoundSockets bind_sockets(const ListenerSpec& l) {
  return bind_listener(l.address, l.port, l.transport == ListenerTransport::dns);
}

// coredns_reload_failed_total: process-wide, it outlives every configuration.
void count_reload_failure() {
  metrics::Registry::global()
      .counter("coredns_reload_failed_total", "Counter of the number of failed reload attempts.")
      .with(std::vector<std::string>{})
      .inc(0);
}
}  // namespace

Server::Server(std::unique_ptr<Config> config, int workers, Loader reload_loader,
               const TcpLimits& tcp_limits)
    : config_(std::move(config)),
      loader_(std::move(reload_loader)),
      nworkers_(workers < 1 ? 1 : workers),
      tcp_limits_(tcp_limits) {
  uv_loop_init(&loop_);
  control_.loop = &loop_;
  control_.workers = nworkers_;
  wire_services(*config_);
}

Server::~Server() {
  if (workers_.empty()) {
    for (auto& [_, per_worker] : sockets_) {
      for (auto& s : per_worker) close_pair(s);
    }
  }
  uv_loop_close(&loop_);
}

void Server::wire_services(Config& c) {
  c.services.request_reload = [this] { request_reload(); };
}

void Server::bind() {
  try {
    for (auto& l : config_->listeners) {
      auto& per_worker = sockets_[key_of(l)];
      for (int w = 0; w < nworkers_; ++w) per_worker.push_back(bind_sockets(l));
    }
  } catch (...) {
    for (auto& [_, pw] : sockets_) {
      for (auto& s : pw) close_pair(s);
    }
    sockets_.clear();
    throw;
  }
}

void Server::stop() {
  uv_async_send(&stop_async_);
}

void Server::request_reload() {
  uv_async_send(&reload_async_);
}

void Server::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  const uint64_t wait_ms = config_->lifecycle.lameduck_ms();
  if (wait_ms == 0) return finish();
  uv_timer_init(&loop_, &lameduck_timer_);
  lameduck_timer_.data = this;
  uv_timer_start(
      &lameduck_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->finish(); }, wait_ms, 0);
}

// What CoreDNS does with each signal (its caddy's signal trap), with the same lines.
void Server::on_signal(int sig) {
  switch (sig) {
    case SIGTERM:
      if (!stopping_) log::info("SIGTERM: Shutting down servers then terminating");
      shutdown();
      break;
    case SIGINT:
      if (++sigints_ > 1) {
        // A second Ctrl-C: no waiting for the lameduck or the queries in flight.
        log::info("SIGINT: Force quit");
        std::quick_exit(2);
      }
      log::info("SIGINT: Shutting down");
      shutdown();
      break;
    case SIGQUIT:
      log::info("SIGQUIT: Quitting process immediately");
      std::quick_exit(0);
    case SIGUSR1:
      if (stopping_) break;
      log::info("SIGUSR1: Reloading");
      reload();
      break;
    default:
      break;
  }
}

void Server::finish() {
  for (auto& w : workers_) w->request_stop();
  for (auto& w : workers_) w->join();
  config_->lifecycle.stop();
  if (retiring_) retiring_->lifecycle.stop();
  close_all_handles(&loop_);
}

namespace {
void close_sockets(std::map<Server::ListenerKey, std::vector<BoundSockets>>& s) {
  for (auto& [_, pw] : s) {
    for (auto& b : pw) close_pair(b);
  }
  s.clear();
}
}  // namespace

void Server::reload() {
  if (stopping_ || !loader_) return;
  if (retiring_) {
    reload_again_ = true;  // one reload at a time; this one runs when the last one drained
    return;
  }
  std::unique_ptr<Config> next;
  std::map<ListenerKey, std::vector<BoundSockets>> fresh;
  try {
    next = loader_();
    // New listeners get sockets now: a bind failure refuses the reload, old config serving.
    fresh = bind_new_listeners(*next);
  } catch (const std::exception& e) {
    count_reload_failure();
    log::error("Restart failed: {}", e.what());
    return;
  }
  wire_services(*next);
  try {
    next->lifecycle.start(control_);
  } catch (const std::exception& e) {
    // An endpoint that cannot be had refuses the reload like a Corefile error.
    next->lifecycle.stop();
    uv_run(&loop_, UV_RUN_NOWAIT);
    close_sockets(fresh);
    count_reload_failure();
    log::error("Restart failed: {}", e.what());
    return;
  }
  swap_in(std::move(next), std::move(fresh));
}

std::map<Server::ListenerKey, std::vector<BoundSockets>> Server::bind_new_listeners(
    const Config& next) {
  std::map<ListenerKey, std::vector<BoundSockets>> fresh;
  try {
    for (auto& l : next.listeners) {
      ListenerKey k = key_of(l);
      if (sockets_.count(k) || fresh.count(k)) continue;
      auto& per_worker = fresh[k];
      for (int w = 0; w < nworkers_; ++w) per_worker.push_back(bind_sockets(l));
    }
  } catch (...) {
    close_sockets(fresh);
    throw;
  }
  return fresh;
}

void Server::swap_in(std::unique_ptr<Config> next,
                     std::map<ListenerKey, std::vector<BoundSockets>> fresh) {
  // Listeners the new configuration no longer has: workers close their handles.
  std::map<ListenerKey, std::vector<BoundSockets>> kept;
  for (auto& l : next->listeners) {
    ListenerKey k = key_of(l);
    if (sockets_.count(k)) kept[k] = std::move(sockets_[k]);
  }
  retiring_ = std::move(config_);
  config_ = std::move(next);
  drained_workers_ = 0;
  for (int w = 0; w < nworkers_; ++w) {
    WorkerAssignment a;
    a.config = config_.get();
    for (auto& l : config_->listeners) {
      auto it = fresh.find(key_of(l));
      a.sockets.push_back(it != fresh.end() ? it->second[w] : BoundSockets{});
    }
    workers_[w]->request_swap(std::move(a), [this] {
      if (drained_workers_.fetch_add(1) + 1 == nworkers_) uv_async_send(&drained_async_);
    });
  }
  for (auto& [k, pw] : fresh) kept[k] = std::move(pw);
  sockets_ = std::move(kept);
}

int Server::run() {
  // A client that goes away mid-write must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  uv_async_init(&loop_, &stop_async_,
                [](uv_async_t* a) { static_cast<Server*>(a->data)->shutdown(); });
  stop_async_.data = this;
  uv_async_init(&loop_, &reload_async_,
                [](uv_async_t* a) { static_cast<Server*>(a->data)->reload(); });
  reload_async_.data = this;
  uv_async_init(&loop_, &drained_async_, [](uv_async_t* a) {
    // Every worker moved on: the old plugins stop and the old configuration goes.
    auto* s = static_cast<Server*>(a->data);
    if (!s->retiring_) return;
    s->retiring_->lifecycle.stop();
    // Handles the old plugins closed finish closing on this loop before their memory goes.
    uv_run(&s->loop_, UV_RUN_NOWAIT);
    s->retiring_.reset();
    if (s->reload_again_) {
      s->reload_again_ = false;
      s->reload();
    }
  });
  drained_async_.data = this;
  uv_timer_init(&loop_, &heap_trim_timer_);
  uv_timer_start(&heap_trim_timer_, trim_heap, kHeapTrimIntervalMs, kHeapTrimIntervalMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(&heap_trim_timer_));
  signals_.start(&loop_, [this](int sig) { on_signal(sig); });

  // A plugin that cannot start (an endpoint address in use) stops the server before any
  // worker runs, as CoreDNS fails its startup.
  try {
    config_->lifecycle.start(control_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    config_->lifecycle.stop();
    close_all_handles(&loop_);
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  for (int w = 0; w < nworkers_; ++w) {
    WorkerAssignment a;
    a.config = config_.get();
    for (auto& l : config_->listeners) a.sockets.push_back(sockets_[key_of(l)][w]);
    workers_.push_back(std::make_unique<Worker>(w, nworkers_, std::move(a), tcp_limits_));
  }
  for (auto& w : workers_) w->start();
  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

}  // namespace cxxdns
