// loop: detects a forwarding loop back to this server (as CoreDNS's loop) and stops it.
#pragma once

#include <uv.h>

#include <atomic>
#include <string>

#include "core/dns/name.h"
#include "core/plugin/context.h"

namespace cxxdns::plugins {

class Loop final : public Plugin {
 public:
  Loop(std::string zone, std::string address, uint16_t port);
  std::string_view name() const override { return "loop"; }
  Verdict serve(QueryContext& ctx) override;
  // On the control loop: the probe socket and its timer.
  void start(ControlInfo& control);
  void stop();

  const std::string& probe_name() const { return qname_text_; }

 private:
  sockaddr_in probe_target() const;
  void send_probe();
  void on_probe_answer();

  std::string zone_;
  std::string address_;  // where the probe goes: this server
  uint16_t port_;
  std::string qname_text_;  // <random>.<random>.<zone>
  dns::Name qname_;
  std::atomic<int> seen_{0};
  std::atomic<bool> disabled_{false};
  uint64_t deadline_ns_ = 0;
  bool answered_ = false;
  uv_loop_t* loop_ = nullptr;
  uv_udp_t sock_;
  uv_timer_t timer_;
  bool started_ = false;
};

}  // namespace cxxdns::plugins
