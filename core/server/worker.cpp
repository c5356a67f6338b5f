#include "core/server/worker.h"

#include <unistd.h>

#include "core/dns/response.h"
#include "core/log/log.h"
#include "core/plugin/dispatch.h"
#include "core/server/loop.h"
#include "core/server/tcp.h"
#include "core/server/udp.h"

namespace cxxdns {

namespace {
// How long a reload waits for queries begun under the old configuration before it stops the
// old plugins anyway (their stop_worker answers what they still hold).
constexpr uint64_t kDrainTimeoutMs = 10000;
// How often a worker gives back the contexts its recent peak did not need.
constexpr uint64_t kTrimIntervalMs = 10000;
// On SIGTERM/SIGINT, how long queries already taken may take to be answered (CoreDNS's
// grace timeout for its servers' shutdown), and how often that is checked.
constexpr uint64_t kStopGraceMs = 5000;
constexpr uint64_t kStopCheckMs = 10;

bool same_listener(const ListenerSpec& a, const ListenerSpec& b) {
  return a.address == b.address && a.port == b.port && a.transport == b.transport;
}

}  // namespace

Worker::Worker(int index, int count, WorkerAssignment first, const TcpLimits& tcp_limits)
    : tcp_limits_(tcp_limits), first_(std::move(first)) {
  info_.index = index;
  info_.count = count;
  info_.loop = &loop_;
}

Worker::~Worker() = default;

void Worker::start() {
  // Returns once the worker's loop and its async handles exist: a stop or swap requested
  // right after start (a SIGTERM at startup) must not reach handles not made yet.
  std::promise<void> ready;
  std::future<void> made = ready.get_future();
  thread_ = std::thread([this, &ready] { run(ready); });
  made.wait();
}

void Worker::request_stop() {
  uv_async_send(&stop_async_);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::request_swap(WorkerAssignment next, std::function<void()> drained) {
  {
    std::lock_guard lock(swap_mu_);
    swap_next_ = std::move(next);
    swap_drained_ = std::move(drained);
    swap_pending_ = true;
  }
  uv_async_send(&swap_async_);
}

void Worker::run(std::promise<void>& ready) {
  uv_loop_init(&loop_);
  tcp_conns_ = make_tcp_connections(this, tcp_limits_);
  uv_async_init(&loop_, &stop_async_,
                [](uv_async_t* a) { static_cast<Worker*>(a->data)->begin_stop(); });
  stop_async_.data = this;
  uv_async_init(&loop_, &swap_async_, [](uv_async_t* a) {
    auto* w = static_cast<Worker*>(a->data);
    WorkerAssignment next;
    {
      std::lock_guard lock(w->swap_mu_);
      if (!w->swap_pending_) return;
      w->swap_pending_ = false;
      next = std::move(w->swap_next_);
      w->drained_ = std::move(w->swap_drained_);
    }
    w->apply(std::move(next));
  });
  swap_async_.data = this;
  ready.set_value();  // `ready` is gone after this: start() returns
  uv_check_init(&loop_, &flush_check_);
  flush_check_.data = this;
  uv_check_start(&flush_check_, [](uv_check_t* c) { static_cast<Worker*>(c->data)->flush_udp(); });
  // Answers queued by timer and close callbacks run outside the receive batch: the check
  // handle (after I/O) misses those, so flush again right before the loop blocks.
  uv_prepare_init(&loop_, &flush_prepare_);
  flush_prepare_.data = this;
  uv_prepare_start(&flush_prepare_,
                   [](uv_prepare_t* p) { static_cast<Worker*>(p->data)->flush_udp(); });
  uv_timer_init(&loop_, &drain_timer_);
  drain_timer_.data = this;
  uv_timer_init(&loop_, &stop_timer_);
  stop_timer_.data = this;
  uv_timer_init(&loop_, &trim_timer_);
  trim_timer_.data = this;
  uv_timer_start(
      &trim_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->trim_memory(); },
      kTrimIntervalMs, kTrimIntervalMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(&trim_timer_));
  apply(std::move(first_));
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void Worker::apply(WorkerAssignment a) {
  const Config* prev = config_;
  a.config->lifecycle.start_worker(info_);
  // Re-point or retire the endpoints we have; open the ones that are new.
  std::vector<bool> served(a.config->listeners.size(), false);
  auto repoint = [&](int& listener) {
    if (listener < 0 || !prev) return;
    const ListenerSpec& old = prev->listeners[listener];
    listener = -1;
    for (size_t i = 0; i < a.config->listeners.size(); ++i) {
      if (same_listener(old, a.config->listeners[i])) {
        listener = static_cast<int>(i);
        served[i] = true;
      }
    }
  };
  for (auto& u : udp_) {
    repoint(u->listener);
    if (u->listener < 0 && u->fd >= 0) {
      uv_poll_stop(&u->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&u->poll), nullptr);
      ::close(u->fd);
      u->fd = -1;
    }
  }
  for (auto& t : tcp_) {
    int before = t->listener;
    repoint(t->listener);
    if (t->listener < 0 && before >= 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), nullptr);
    }
  }
  for (size_t i = 0; i < a.config->listeners.size(); ++i) {
    if (served[i] || a.sockets[i].tcp < 0) continue;
    if (a.sockets[i].udp >= 0) {
      auto u = std::make_unique<UdpEndpoint>();
      u->fd = a.sockets[i].udp;
      u->listener = static_cast<int>(i);
      u->worker = this;
      start_udp(&loop_, *u);
      udp_.push_back(std::move(u));
    }
    auto t = std::make_unique<TcpEndpoint>();
    t->listener = static_cast<int>(i);
    t->worker = this;
    t->conns = tcp_conns_.get();
    start_tcp(&loop_, *t, a.sockets[i].tcp);
    tcp_.push_back(std::move(t));
  }
  config_ = a.config;
  if (!prev) return;
  old_config_ = prev;
  ++generation_;
  inflight_old_ = inflight_current_;
  inflight_current_ = 0;
  if (inflight_old_ == 0) {
    finish_drain();
  } else {
    uv_timer_start(
        &drain_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->finish_drain(); },
        kDrainTimeoutMs, 0);
  }
}

void Worker::finish_drain() {
  if (!old_config_) return;
  uv_timer_stop(&drain_timer_);
  const Config* old = old_config_;
  old_config_ = nullptr;
  old->lifecycle.stop_worker(info_);
  if (drained_) {
    auto cb = std::move(drained_);
    drained_ = nullptr;
    cb();
  }
}

void Worker::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  // No new queries: what the UDP sockets already hold is read once (those clients asked
  // before the stop), then they and the TCP listeners go quiet; connections stop reading.
  for (auto& u : udp_) {
    if (u->fd < 0) continue;
    read_udp_now(*u);
    uv_poll_stop(&u->poll);
  }
  for (auto& t : tcp_) {
    auto* h = reinterpret_cast<uv_handle_t*>(&t->handle);
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
  drain_tcp(*tcp_conns_);
  // Then every query in flight is answered (and every TCP answer written) before the
  // sockets close, for at most kStopGraceMs.
  stop_deadline_ = uv_now(&loop_) + kStopGraceMs;
  uv_timer_start(
      &stop_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->check_stopped(); }, 0,
      kStopCheckMs);
}

void Worker::check_stopped() {
  const bool answered = inflight_current_ + inflight_old_ == 0 && pending_udp_.empty() &&
                        tcp_open_connections(*tcp_conns_) == 0;
  if (answered || uv_now(&loop_) >= stop_deadline_) close_handles();
}

void Worker::close_handles() {
  uv_timer_stop(&stop_timer_);
  flush_udp();
  finish_drain();
  config_->lifecycle.stop_worker(info_);
  for (auto& u : udp_) {
    if (u->fd >= 0) ::close(u->fd), u->fd = -1;
  }
  // Every handle left (sockets, connections, plugin timers) is closed so uv_run returns.
  close_all_handles(&loop_);
}

ServerContext* Worker::acquire() {
  ServerContext* c = contexts_.acquire();
  c->generation = generation_;
  ++inflight_current_;
  return c;
}

void Worker::release(QueryContext* ctx) {
  if (ctx->generation == generation_) {
    --inflight_current_;
  } else if (--inflight_old_ == 0 && old_config_) {
    finish_drain();
  }
  ctx->reset();
  contexts_.release(ctx);
}

void Worker::trim_memory() {
  // What this frees goes back to the system at the server's next heap trim.
  contexts_.trim();
}

bool Worker::handle_query(std::span<const uint8_t> packet, Transport t, const ClientAddress& from,
                          int listener, ReplySink* sink, void* sink_data, const LocalAddress& to) {
  ServerContext* ctx = acquire();
  ctx->local = to;
  ctx->bind(&info_, sink, sink_data);
  const dns::QueryCheck check = ctx->load(packet, t, from);
  const ListenerSpec* spec = listener >= 0 ? &config_->listeners[listener] : nullptr;
  if (dispatch(*ctx, check, spec)) return true;
  release(ctx);
  return false;
}

void Worker::queue_udp(QueryContext* ctx) {
  pending_udp_.push_back(ctx);
}

void Worker::flush_udp() {
  if (pending_udp_.empty()) return;
  send_udp_batch(pending_udp_);
  for (QueryContext* c : pending_udp_) release(c);
  pending_udp_.clear();
}

}  // namespace cxxdns
