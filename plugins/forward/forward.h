// forward: proxies queries to upstream resolvers over UDP and TCP, as CoreDNS's forward.
// Every `forward` directive of a server block is one Block of this one plugin instance, tried
// in the order written (CoreDNS chains them as consecutive forward plugins).
#pragma once

#include <uv.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugin/context.h"
#include "plugins/forward/doh_client.h"
#include "plugins/forward/options.h"
#include "plugins/forward/query_ids.h"
#include "plugins/forward/tls.h"
#include "plugins/pkg/message_tap.h"

namespace cxxdns {
struct BlockConfig;
}

namespace cxxdns::plugins::forward {

class Exchange;
struct Probe;
struct TcpConn;
struct UdpSock;

// One `forward` directive with its run-time state.
struct Block {
  ForwardOptions opts;
  std::atomic<int64_t> inflight{0};  // for max_concurrent, across workers
  // coredns_forward_max_concurrent_rejects_total
  std::atomic<uint64_t> max_concurrent_rejects{0};
  // coredns_forward_healthcheck_broken_total
  std::atomic<uint64_t> healthcheck_broken{0};
  SslCtxPtr tls_ctx;  // when an upstream is tls://
  DohSettings doh;    // for https:// upstreams
};

// Per-try read timeout and the overall budget of one client query, as CoreDNS's
// (proxy read timeout 2s, forward's 5s deadline).
constexpr uint64_t kTryTimeoutMs = 2000;
constexpr uint64_t kOverallTimeoutMs = 5000;
// A health check waits this long for its answer.
constexpr uint64_t kHealthTimeoutMs = 1000;
// TCP (and TLS) connections one worker keeps open to one upstream, busy or idle. A try that
// finds them all busy waits for one to come back (within its own timeout) instead of
// opening another: TCP clients pipelining misses would otherwise open one connection each.
constexpr uint32_t kTcpMaxConns = 16;
// Finished exchanges a worker keeps for reuse; those beyond are freed, so a burst's memory
// goes back once it is over.
constexpr size_t kMaxFreeExchanges = 256;

class Forward final : public Plugin {
 public:
  Forward(std::vector<std::unique_ptr<Block>> blocks, int workers);
  ~Forward() override;
  std::string_view name() const override { return "forward"; }
  Verdict serve(QueryContext& ctx) override;
  // On each worker: its upstream sockets, and (worker 0) the health checks.
  void start_worker(WorkerInfo& worker);
  void stop_worker(WorkerInfo& worker);

  const std::vector<std::unique_ptr<Block>>& blocks() const { return blocks_; }
  // Sum over blocks, for the metrics.
  uint64_t max_concurrent_rejects() const;
  uint64_t healthcheck_broken() const;
  // Exchanges the workers hold (in flight and pooled), for tests of the pool's trimming.
  size_t exchanges() const;
  // At startup: the block's dnstap, which then gets each try (FORWARDER_* messages).
  void find_tap(const BlockConfig& block);
  pkg::MessageTap* tap() const { return tap_; }

  // --- Used by Exchange and the health prober.
  struct Worker {
    uv_loop_t* loop = nullptr;
    int index = 0;
    RandomIds ids;  // upstream query IDs and the random policy (query_ids.h)
    uint32_t round_robin = 0;
    std::vector<Exchange*> free;        // finished exchanges, handles open, ready for reuse
    std::unordered_set<Exchange*> all;  // every exchange of this worker that is not retired
    std::vector<std::unique_ptr<Probe>> probes;  // health checks (worker 0 only)
    std::vector<TcpConn*> idle_tcp;              // pooled upstream connections
    // Per upstream: connections open (busy or idle) and the tries waiting for one.
    struct TcpSlots {
      Upstream* up = nullptr;
      uint32_t open = 0;
      std::deque<Exchange*> waiting;
    };
    std::vector<TcpSlots> tcp_slots;
    TcpSlots& slots(Upstream* up);
    // A connection to `up` closed, or went back to the pool: the first waiting try gets it.
    void tcp_room(Upstream* up);
    // An idle connection to `up` used less than `expire` ago, or null; expired ones close.
    TcpConn* take_tcp(Upstream* up, uint64_t now_ms, uint64_t expire_ms);
    void drop_idle(TcpConn* c);
    // A connected UDP socket to `up` for one more query (udp_pool.h), or null.
    // `fresh`: it was opened for this query (a connection cache miss).
    UdpSock* udp_socket(Upstream* up, uint64_t now_ms, bool& fresh);
    std::vector<UdpSock*> udp_socks;
    // Room for kUdpBatch datagrams of 64 KiB read by one recvmmsg; allocated on first use
    // and not zeroed, so only the pages answers land in become resident.
    std::unique_ptr<uint8_t[]> udp_buf;
    // This worker's DoH client, made when a try first goes to an https:// upstream; null
    // with `err` set when libcurl cannot be loaded.
    DohClient* doh_client(std::string& err);
    DohClient* doh = nullptr;
    bool stopping = false;
  };
  // The answer of an upstream for a client query: reply, or hand to the next block.
  void finish(PendingQuery query, size_t block);
  Exchange* acquire(Worker& w);
  void release(Worker& w, Exchange* ex);
  // A try to `up` failed: health-check it from this worker until it answers, unless a
  // worker does already (CoreDNS's Healthcheck after an error).
  void health_check(Worker& w, const Block& b, Upstream& up);

 private:
  void start_probes(Worker& w);
  // The first block from `first` that forwards ctx's name, or blocks_.size().
  size_t block_for(QueryContext& ctx, size_t first);
  // Sends the query to block `b`'s upstreams (or answers it: max_concurrent, all down).
  void start(PendingQuery query, size_t b);
  void collect() const;

  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<std::unique_ptr<Worker>> workers_;
  pkg::MessageTap* tap_ = nullptr;
  metrics::CollectorHandle metrics_;
};

}  // namespace cxxdns::plugins::forward
