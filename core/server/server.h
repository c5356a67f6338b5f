// The running server: binds every listener once per worker, starts the plugins and the
// workers, and runs the control loop (signals) until told to stop.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/plugin/config.h"
#include "core/server/worker.h"

namespace cxxdns {

class Server {
 public:
  Server(std::unique_ptr<Config> config, int workers);
  ~Server();

  // Binds every socket; throws std::runtime_error (nothing left bound) on failure.
  void bind();
  // Starts plugins and workers, then runs until SIGINT/SIGTERM or stop(). Returns the exit code.
  int run();
  // Safe from any thread.
  void stop();

  const Config& config() const { return *config_; }

 private:
  void shutdown();  // starts the lameduck wait, if any plugin asks for one, then finish()
  void finish();

  bool shutting_down_ = false;
  uv_timer_t lameduck_timer_;

  std::unique_ptr<Config> config_;
  int nworkers_;
  std::vector<std::vector<BoundSockets>> sockets_;  // [worker][listener]
  std::vector<std::unique_ptr<Worker>> workers_;
  uv_loop_t loop_;
  uv_signal_t sigint_, sigterm_;
  uv_async_t stop_async_;
  ControlInfo control_;
};

}  // namespace cxxdns
