// A worker: one thread, one libuv loop, its own sockets and its own pool of query contexts.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "core/plugin/config.h"
#include "core/plugin/context.h"
#include "core/server/socket.h"

namespace cxxdns {

class Worker;
struct TcpConnection;

struct UdpEndpoint {
  int fd = -1;
  uv_poll_t poll;
  const ListenerSpec* listener = nullptr;
  Worker* worker = nullptr;
};

struct TcpEndpoint {
  uv_tcp_t handle;
  const ListenerSpec* listener = nullptr;
  Worker* worker = nullptr;
  int connections = 0;
};

struct TcpLimits {
  uint64_t idle_timeout_ms = 10000;  // as CoreDNS's default idle timeout
  int max_connections = 1000;        // per listener per worker
  int max_inflight_per_connection = 128;
};

class Worker {
 public:
  Worker(int index, int count, const Config& config, std::vector<BoundSockets> sockets);
  ~Worker();

  void start();  // spawns the thread
  void request_stop();
  void join();

  WorkerInfo& info() { return info_; }
  const TcpLimits& tcp_limits() const { return tcp_limits_; }

  // Reads one query, routes it and runs its chain (or answers FORMERR/NOTIMP/REFUSED).
  // Returns false when the packet was dropped unanswered (the sink will not see it).
  bool handle_query(std::span<const uint8_t> packet, Transport t, const ClientAddress& from,
                    const ListenerSpec& listener, ReplySink* sink, void* sink_data);
  QueryContext* acquire();
  void release(QueryContext* ctx);

  // UDP replies wait here until the next flush, which sends them with one sendmmsg.
  void queue_udp(QueryContext* ctx);
  void flush_udp();

 private:
  void run();
  void open_handles();
  void close_handles();

  WorkerInfo info_;
  const Config& config_;
  std::vector<BoundSockets> sockets_;
  TcpLimits tcp_limits_;
  std::thread thread_;
  uv_loop_t loop_;
  uv_async_t stop_async_;
  uv_check_t flush_check_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
  std::vector<std::unique_ptr<TcpEndpoint>> tcp_;
  std::vector<std::unique_ptr<QueryContext>> all_contexts_;
  std::vector<QueryContext*> free_contexts_;
  std::vector<QueryContext*> pending_udp_;

  friend void udp_readable(uv_poll_t*, int, int);
};

}  // namespace cxxdns
