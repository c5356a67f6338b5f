// The running server: binds every listener once per worker, starts the plugins and the
// workers, runs the control loop (signals, reloads) until told to stop.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "core/plugin/config.h"
#include "core/server/server_signals.h"
#include "core/server/worker.h"

namespace cxxdns {

class Server {
 public:
  // `load` builds a configuration from the Corefile (again, on reload); it throws on errors.
  using Loader = std::function<std::unique_ptr<Config>()>;

  // `tcp_limits`: what each worker allows its TCP clients (worker_tcp_limits()).
  Server(std::unique_ptr<Config> config, int workers, Loader reload_loader = {},
         const TcpLimits& tcp_limits = {});
  ~Server();

  // Binds every socket; throws std::runtime_error (nothing left bound) on failure.
  void bind();
  // Starts plugins and workers, then runs until SIGINT/SIGTERM or stop(). Returns the exit code.
  // A second SIGINT, and SIGQUIT, end the process at once with std::quick_exit (2 and 0, as
  // CoreDNS): what must still happen then is registered with std::at_quick_exit.
  int run();
  // Safe from any thread.
  void stop();
  // Safe from any thread: re-reads the Corefile and, if it builds, swaps it in (SIGUSR1 does
  // the same). A Corefile that fails is logged and counted; the running one keeps serving.
  void request_reload();

  const Config& config() const { return *config_; }

  // Address, port and transport: a port that changes transport on reload gets new sockets.
  using ListenerKey = std::tuple<std::string, uint16_t, ListenerTransport>;
  static ListenerKey key_of(const ListenerSpec& l) { return {l.address, l.port, l.transport}; }

 private:
  void on_signal(int sig);
  void shutdown();
  void reload();
  // Sockets for the listeners of `next` this server does not have yet; throws (closing
  // what it bound) when one cannot be bound.
  std::map<ListenerKey, std::vector<BoundSockets>> bind_new_listeners(const Config& next);
  // Makes `next` (started) the running configuration; workers switch to it and the old
  // one retires once every query begun under it is done.
  void swap_in(std::unique_ptr<Config> next,
               std::map<ListenerKey, std::vector<BoundSockets>> fresh);
  void wire_services(Config& c);
  void finish();  // after the lameduck wait, if any plugin asked for one

  uv_timer_t lameduck_timer_;
  uv_timer_t heap_trim_timer_;

  std::unique_ptr<Config> config_;
  std::unique_ptr<Config> retiring_;  // the previous configuration, until every worker drained it
  Loader loader_;
  int nworkers_;
  TcpLimits tcp_limits_;
  // Sockets of every listener, per worker: [listener key][worker].
  std::map<ListenerKey, std::vector<BoundSockets>> sockets_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uv_loop_t loop_;
  ServerSignals signals_;  // SIGTERM, SIGINT, SIGQUIT, SIGUSR1
  int sigints_ = 0;        // the second one quits at once
  uv_async_t stop_async_, reload_async_, drained_async_;
  std::atomic<int> drained_workers_{0};
  bool reload_again_ = false;
  bool stopping_ = false;
  ControlInfo control_;
};

}  // namespace cxxdns
