#include "plugins/health/probe.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

namespace {

constexpr uint64_t kProbeTimeoutMs = 3000;  // CoreDNS's health client timeout
constexpr char kRequest[] = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

}  // namespace

struct HealthProbe::Attempt {
  HealthProbe* probe;
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  uv_timer_t timeout;
  uint64_t start_ns;
  std::string in;
  int open_handles = 2;
  bool done = false;
};

HealthProbe::HealthProbe()
    : duration_(metrics::Registry::global()
                    .histogram("coredns_health_request_duration_seconds",
                               "Histogram of the time (in seconds) each request took.", {},
                               metrics::exponential_buckets(0.00025, 10, 5))
                    .with({})),
      failures_(metrics::Registry::global()
                    .counter("coredns_health_request_failures_total",
                             "The number of times the health check failed.")
                    .with({})) {}

void HealthProbe::start(uv_loop_t* loop, const std::string& host, uint16_t port,
                        uint64_t interval_ms) {
  host_ = host.empty() || host == "::" || host == "0.0.0.0" ? "127.0.0.1" : host;
  port_ = port;
  timer_ = new uv_timer_t;
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<HealthProbe*>(t->data)->fire(); }, interval_ms,
      interval_ms);
}

void HealthProbe::stop() {
  if (timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  if (inflight_) finish(inflight_, -1);  // shutting down: neither a success nor a failure
}

void HealthProbe::finish(Attempt* a, int outcome) {
  if (a->done) return;
  a->done = true;
  if (outcome > 0) {
    duration_.observe(0, static_cast<double>(QueryContext::now_ns() - a->start_ns) / 1e9);
  } else if (outcome == 0) {
    failures_.inc(0);
  }
  if (inflight_ == a) inflight_ = nullptr;
  auto closed = [](uv_handle_t* h) {
    auto* at = static_cast<Attempt*>(h->data);
    if (--at->open_handles == 0) delete at;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&a->tcp), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&a->timeout), closed);
}

void HealthProbe::fire() {
  if (inflight_) return;  // the last one has not finished: its timeout will count it
  sockaddr_storage ss{};
  if (inet_pton(AF_INET, host_.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    ss.ss_family = AF_INET;
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port_);
  } else if (inet_pton(AF_INET6, host_.c_str(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) ==
             1) {
    ss.ss_family = AF_INET6;
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port_);
  } else {
    return;
  }
  auto* a = new Attempt;
  a->probe = this;
  a->start_ns = QueryContext::now_ns();
  inflight_ = a;
  uv_loop_t* loop = timer_->loop;
  uv_tcp_init(loop, &a->tcp);
  uv_timer_init(loop, &a->timeout);
  a->tcp.data = a->timeout.data = a->connect.data = a->write.data = a;
  uv_timer_start(
      &a->timeout,
      [](uv_timer_t* t) {
        auto* at = static_cast<Attempt*>(t->data);
        at->probe->finish(at, 0);
      },
      kProbeTimeoutMs, 0);
  int rc = uv_tcp_connect(
      &a->connect, &a->tcp, reinterpret_cast<sockaddr*>(&ss), [](uv_connect_t* c, int status) {
        auto* at = static_cast<Attempt*>(c->data);
        if (at->done) return;
        if (status < 0) return at->probe->finish(at, 0);
        uv_buf_t buf = uv_buf_init(const_cast<char*>(kRequest), sizeof(kRequest) - 1);
        uv_write(&at->write, reinterpret_cast<uv_stream_t*>(&at->tcp), &buf, 1,
                 [](uv_write_t*, int) {});
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&at->tcp),
            [](uv_handle_t*, size_t, uv_buf_t* b) {
              static thread_local char scratch[1024];
              *b = uv_buf_init(scratch, sizeof(scratch));
            },
            [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
              auto* at = static_cast<Attempt*>(s->data);
              if (at->done) return;
              if (n > 0 && at->in.size() < 256) at->in.append(b->base, static_cast<size_t>(n));
              if (n < 0) at->probe->finish(at, at->in.starts_with("HTTP/1.1 200 ") ? 1 : 0);
            });
      });
  if (rc != 0) finish(a, 0);
}

}  // namespace cxxdns::plugins
