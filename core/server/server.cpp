#include "core/server/server.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "core/log/log.h"

namespace cxxdns {

Server::Server(std::unique_ptr<Config> config, int workers)
    : config_(std::move(config)), nworkers_(workers < 1 ? 1 : workers) {
  uv_loop_init(&loop_);
  control_.loop = &loop_;
  control_.workers = nworkers_;
}

Server::~Server() {
  for (auto& per_worker : sockets_) {
    for (auto& s : per_worker) {
      if (s.udp >= 0 && workers_.empty()) ::close(s.udp);
      if (s.tcp >= 0 && workers_.empty()) ::close(s.tcp);
    }
  }
  uv_loop_close(&loop_);
}

void Server::bind() {
  try {
    for (int w = 0; w < nworkers_; ++w) {
      std::vector<BoundSockets> per_worker;
      for (auto& l : config_->listeners) per_worker.push_back(bind_listener(l.address, l.port));
      sockets_.push_back(std::move(per_worker));
    }
  } catch (...) {
    for (auto& pw : sockets_) {
      for (auto& s : pw) ::close(s.udp), ::close(s.tcp);
    }
    sockets_.clear();
    throw;
  }
}

void Server::stop() { uv_async_send(&stop_async_); }

void Server::shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  uint64_t wait_ms = 0;
  for (Plugin* p : config_->plugins()) wait_ms = std::max(wait_ms, p->lameduck_ms());
  if (wait_ms == 0) return finish();
  uv_timer_init(&loop_, &lameduck_timer_);
  lameduck_timer_.data = this;
  uv_timer_start(
      &lameduck_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->finish(); }, wait_ms, 0);
}

void Server::finish() {
  for (auto& w : workers_) w->request_stop();
  for (auto& w : workers_) w->join();
  for (Plugin* p : config_->plugins()) p->stop();
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
}

int Server::run() {
  // A client that goes away mid-write must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  uv_async_init(&loop_, &stop_async_, [](uv_async_t* a) {
    static_cast<Server*>(a->data)->shutdown();
  });
  stop_async_.data = this;
  auto on_signal = [](uv_signal_t* s, int) { static_cast<Server*>(s->data)->shutdown(); };
  uv_signal_init(&loop_, &sigint_);
  uv_signal_init(&loop_, &sigterm_);
  sigint_.data = sigterm_.data = this;
  uv_signal_start(&sigint_, on_signal, SIGINT);
  uv_signal_start(&sigterm_, on_signal, SIGTERM);

  // A plugin that cannot start (an endpoint address in use) stops the server before any
  // worker runs, as CoreDNS fails its startup.
  std::vector<Plugin*> started;
  try {
    for (Plugin* p : config_->plugins()) {
      p->start(control_);
      started.push_back(p);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    for (Plugin* p : started) p->stop();
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  for (int w = 0; w < nworkers_; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, nworkers_, *config_, sockets_[w]));
  }
  for (auto& w : workers_) w->start();
  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

}  // namespace cxxdns
