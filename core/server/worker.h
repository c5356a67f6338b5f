// A worker: one thread, one libuv loop, its own sockets and its own pool of query contexts.
// On reload it is handed a new configuration: queries that started under the old one finish
// under it, and the old plugins' per-worker state is stopped once they have all finished.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "core/server/context_pool.h"
#include "core/server/limits.h"
#include "core/server/socket.h"
#include "core/server/tcp.h"

namespace cxxdns {

class Worker;

// Endpoints name their listener by index into the worker's current configuration, so a
// reload re-points them without touching connections; -1 marks a listener a reload removed.
struct UdpEndpoint {
  int fd = -1;
  bool pktinfo = false;  // bound to every address: answers leave from the query's address
  uv_poll_t poll;
  int listener = -1;
  Worker* worker = nullptr;
};

struct TcpEndpoint {
  uv_tcp_t handle;
  int listener = -1;
  Worker* worker = nullptr;
  TcpConnections* conns = nullptr;  // the worker's, shared by its listeners
};

// A configuration handed to a worker: the config, and per listener its sockets (fds this
// worker has not seen yet; -1 for a listener it already serves with the same address).
struct WorkerAssignment {
  const Config* config = nullptr;
  std::vector<BoundSockets> sockets;
};

class Worker {
 public:
  Worker(int index, int count, WorkerAssignment first, const TcpLimits& tcp_limits = {});
  ~Worker();

  void start();  // spawns the thread
  void request_stop();
  void join();
  // From the control thread: switch to `next`; `drained` is called (on this worker's thread)
  // once every query begun under the previous configuration has been answered.
  void request_swap(WorkerAssignment next, std::function<void()> drained);

  WorkerInfo& info() { return info_; }
  const TcpLimits& tcp_limits() const { return tcp_limits_; }
  // The listener an endpoint serves now (null for one a reload removed).
  const ListenerSpec* listener(int index) const {
    return index >= 0 ? &config_->listeners[index] : nullptr;
  }

  // Reads one query, routes it and runs its chain (or answers FORMERR/NOTIMP/REFUSED).
  // Returns false when the packet was dropped unanswered (the sink will not see it).
  // `to`: the address a UDP query came to, when the socket is bound to every address.
  bool handle_query(std::span<const uint8_t> packet, Transport t, const ClientAddress& from,
                    int listener, ReplySink* sink, void* sink_data,
                    const LocalAddress& to = LocalAddress{});
  ServerContext* acquire();
  void release(QueryContext* ctx);

  // UDP replies wait here until the next flush, which sends them with one sendmmsg.
  void queue_udp(QueryContext* ctx);
  void flush_udp();

 private:
  void run();
  void apply(WorkerAssignment a);
  void begin_stop();     // stop taking queries, answer those taken
  void check_stopped();  // all answered (or the grace time over): close_handles
  void close_handles();
  void finish_drain();
  void trim_memory();

  WorkerInfo info_;
  const Config* config_ = nullptr;
  const Config* old_config_ = nullptr;  // draining after a swap
  TcpLimits tcp_limits_;
  TcpConnectionsPtr tcp_conns_;
  std::thread thread_;
  uv_loop_t loop_;
  uv_async_t stop_async_, swap_async_;
  uv_check_t flush_check_;
  uv_prepare_t flush_prepare_;
  uv_timer_t drain_timer_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
  std::vector<std::unique_ptr<TcpEndpoint>> tcp_;
  ContextPool contexts_;
  uv_timer_t trim_timer_;
  uv_timer_t stop_timer_;
  uint64_t stop_deadline_ = 0;
  bool stopping_ = false;
  std::vector<QueryContext*> pending_udp_;
  WorkerAssignment first_;
  // Queries in flight under the current and the previous configuration.
  uint32_t generation_ = 0;
  int inflight_current_ = 0;
  int inflight_old_ = 0;
  std::function<void()> drained_;
  std::mutex swap_mu_;  // guards the handoff of a swap request from the control thread
  WorkerAssignment swap_next_;
  std::function<void()> swap_drained_;
  bool swap_pending_ = false;
};

}  // namespace cxxdns
