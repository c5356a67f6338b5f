#include "core/server/worker.h"

#include <unistd.h>

#include "core/dns/response.h"
#include "core/log/log.h"
#include "core/server/tcp.h"
#include "core/server/udp.h"

namespace cxxdns {

Worker::Worker(int index, int count, const Config& config, std::vector<BoundSockets> sockets)
    : config_(config), sockets_(std::move(sockets)) {
  info_.index = index;
  info_.count = count;
  info_.loop = &loop_;
}

Worker::~Worker() {
  for (auto& s : sockets_) {
    if (s.udp >= 0) ::close(s.udp);
  }
}

void Worker::start() { thread_ = std::thread([this] { run(); }); }

void Worker::request_stop() { uv_async_send(&stop_async_); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &stop_async_, [](uv_async_t* a) {
    static_cast<Worker*>(a->data)->close_handles();
  });
  stop_async_.data = this;
  uv_check_init(&loop_, &flush_check_);
  flush_check_.data = this;
  uv_check_start(&flush_check_, [](uv_check_t* c) { static_cast<Worker*>(c->data)->flush_udp(); });
  for (Plugin* p : config_.plugins()) p->start_worker(info_);
  open_handles();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void Worker::open_handles() {
  for (size_t i = 0; i < config_.listeners.size(); ++i) {
    auto u = std::make_unique<UdpEndpoint>();
    u->fd = sockets_[i].udp;
    u->listener = &config_.listeners[i];
    u->worker = this;
    start_udp(&loop_, *u);
    udp_.push_back(std::move(u));
    auto t = std::make_unique<TcpEndpoint>();
    t->listener = &config_.listeners[i];
    t->worker = this;
    start_tcp(&loop_, *t, sockets_[i].tcp);
    tcp_.push_back(std::move(t));
  }
}

void Worker::close_handles() {
  flush_udp();
  for (Plugin* p : config_.plugins()) p->stop_worker(info_);
  // Every handle left (sockets, connections, plugin timers) is closed so uv_run returns.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
}

QueryContext* Worker::acquire() {
  if (free_contexts_.empty()) {
    all_contexts_.push_back(std::make_unique<QueryContext>());
    return all_contexts_.back().get();
  }
  QueryContext* c = free_contexts_.back();
  free_contexts_.pop_back();
  return c;
}

void Worker::release(QueryContext* ctx) {
  ctx->reset();
  free_contexts_.push_back(ctx);
}

bool Worker::handle_query(std::span<const uint8_t> packet, Transport t, const ClientAddress& from,
                          const ListenerSpec& listener, ReplySink* sink, void* sink_data) {
  QueryContext* ctx = acquire();
  ctx->bind(&info_, sink, sink_data);
  switch (ctx->load(packet, t, from)) {
    case dns::QueryCheck::drop:
      release(ctx);
      return false;
    case dns::QueryCheck::formerr:
      ctx->reply_unparsed(dns::rcode::FORMERR);
      return true;
    case dns::QueryCheck::notimp:
      ctx->reply_unparsed(dns::rcode::NOTIMP);
      return true;
    case dns::QueryCheck::ok:
      break;
  }
  const Route* r = listener.route(ctx->q().qname_lower);
  if (!r) {
    ctx->reply_rcode(dns::rcode::REFUSED);
    return true;
  }
  ctx->run(r->chain);
  return true;
}

void Worker::queue_udp(QueryContext* ctx) { pending_udp_.push_back(ctx); }

void Worker::flush_udp() {
  if (pending_udp_.empty()) return;
  send_udp_batch(pending_udp_);
  for (QueryContext* c : pending_udp_) release(c);
  pending_udp_.clear();
}

}  // namespace cxxdns
