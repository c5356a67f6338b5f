#include "plugins/loop/loop.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <random>

#include "core/dns/writer.h"
#include "core/log/log.h"

namespace cxxdns::plugins {

namespace {
// As CoreDNS: probe for up to 30 s until the probe gets any answer; once it has, loop
// detection stays on 2 s more (to see the probe come back) and is then switched off.
constexpr uint64_t kProbeWindowNs = 30'000'000'000ull;
constexpr uint64_t kRetryMs = 1000;
constexpr uint64_t kAfterAnswerMs = 2000;
}  // namespace

Loop::Loop(std::string zone, std::string address, uint16_t port)
    : zone_(std::move(zone)), address_(std::move(address)), port_(port) {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  qname_text_ = std::to_string(rng() >> 1) + "." + std::to_string(rng() >> 1) + "." +
                (zone_ == "." ? "" : zone_);
  dns::from_text(qname_text_, qname_);
}

Verdict Loop::serve(QueryContext& ctx) {
  if (ctx.q().qtype == dns::type::HINFO && !disabled_.load(std::memory_order_relaxed) &&
      ctx.q().qname_lower == qname_) {
    if (seen_.fetch_add(1) + 1 > 2) {
      std::string remote = ctx.client().ip() + ":" + std::to_string(ctx.client().port());
      log::write_line("[FATAL] plugin/loop: Loop (" + remote + " -> " + address_ + ":" +
                      std::to_string(port_) + ") detected for zone \"" + zone_ +
                      "\", see https://coredns.io/plugins/loop#troubleshooting. Query: \"HINFO " +
                      qname_text_ + "\"");
      // As log.Fatalf in CoreDNS: the process ends here; a loop cannot be served around.
      _exit(1);
    }
  }
  return ctx.next();
}

void Loop::start(ControlInfo& control) {
  loop_ = control.loop;
  deadline_ns_ = QueryContext::now_ns() + kProbeWindowNs;
  uv_udp_init(loop_, &sock_);
  uv_timer_init(loop_, &timer_);
  sock_.data = timer_.data = this;
  started_ = true;
  // The probe socket is bound to the server's own address (127.0.0.1 unless the block binds
  // another) and connected to the listener: never a wildcard socket that anyone could
  // send to, and only the server's own answers are read.
  sockaddr_in to = probe_target();
  sockaddr_in from = to;
  from.sin_port = 0;
  uv_udp_bind(&sock_, reinterpret_cast<sockaddr*>(&from), 0);
  uv_udp_connect(&sock_, reinterpret_cast<sockaddr*>(&to));
  uv_udp_recv_start(
      &sock_,
      [](uv_handle_t*, size_t, uv_buf_t* b) {
        static char buf[512];
        *b = uv_buf_init(buf, sizeof buf);
      },
      [](uv_udp_t* s, ssize_t n, const uv_buf_t*, const sockaddr*, unsigned) {
        if (n > 0) static_cast<Loop*>(s->data)->on_probe_answer();
      });
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Loop*>(t->data)->send_probe(); }, 0, 0);
}

sockaddr_in Loop::probe_target() const {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port_);
  inet_pton(AF_INET, address_.c_str(), &to.sin_addr);
  return to;
}

void Loop::send_probe() {
  if (answered_) {
    disabled_ = true;  // the 2 s after the answer are over
    return;
  }
  if (QueryContext::now_ns() > deadline_ns_) {
    disabled_ = true;
    return;
  }
  // Any probe before this one went unanswered: count afresh, as CoreDNS resets after a failed
  // exchange (a slow upstream at startup would otherwise add up to a false loop).
  seen_.store(0);
  std::vector<uint8_t> q;
  dns::MessageWriter w(q);
  dns::Header h;
  h.id = static_cast<uint16_t>(std::random_device{}());
  h.flags = dns::flag::RD;
  w.start(h);
  w.question(qname_, dns::type::HINFO, dns::cls::IN);
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(q.data()), static_cast<unsigned>(q.size()));
  uv_udp_try_send(&sock_, &b, 1, nullptr);  // connected in start()
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Loop*>(t->data)->send_probe(); }, kRetryMs, 0);
}

void Loop::on_probe_answer() {
  if (answered_) return;
  answered_ = true;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Loop*>(t->data)->send_probe(); }, kAfterAnswerMs, 0);
}

void Loop::stop() {
  if (!started_) return;
  for (uv_handle_t* h :
       {reinterpret_cast<uv_handle_t*>(&sock_), reinterpret_cast<uv_handle_t*>(&timer_)}) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
}

}  // namespace cxxdns::plugins
