// The signals that stop (SIGTERM, SIGINT, SIGQUIT) and reload (SIGUSR1) the server, read from
// a signalfd on the server's loop instead of through signal handlers.
//
// Why not libuv's uv_signal: closing its handles gives each signal its default action back,
// and the process still has its exit to run then (workers joined, plugins' destructors, a
// sanitizer's leak check). A supervisor that repeated its SIGTERM killed the process halfway,
// with the signal's status instead of its own exit code (CoreDNS catches its signals until it
// exits). Blocked in every thread and read from a signalfd, a signal is
// only ever what the server makes of it: once the server stops reading, a repeat stays pending,
// harmless, until the exit.
#pragma once

#include <uv.h>

#include <functional>

namespace cxxdns {

// Blocks the server's signals in the calling thread; every thread started from it afterwards
// inherits that. main() calls it before any thread starts (a thread that did not block them
// would take a signal's default action for the whole process).
void block_server_signals();

class ServerSignals {
 public:
  ServerSignals() = default;
  ServerSignals(const ServerSignals&) = delete;
  ServerSignals& operator=(const ServerSignals&) = delete;
  ~ServerSignals();

  // Reads the signals on `loop` and calls `on_signal(signo)` there for each. Its poll handle
  // belongs to the loop: close_all_handles() closes it, and the descriptor goes with this.
  void start(uv_loop_t* loop, std::function<void(int)> on_signal);

 private:
  void read_all();

  int fd_ = -1;
  uv_poll_t poll_{};
  std::function<void(int)> on_signal_;
};

}  // namespace cxxdns
