// dnstap: a client's query and the answer it got, as dnstap messages (CLIENT_QUERY,
// CLIENT_RESPONSE), and a forwarder's tries (FORWARDER_QUERY, FORWARDER_RESPONSE) to a
// framestream socket, as CoreDNS's dnstap plugin sends them.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/plugin/context.h"
#include "core/plugin/plugin.h"
#include "plugins/dnstap/encode.h"
#include "plugins/dnstap/sink.h"
#include "plugins/pkg/message_tap.h"
#include "plugins/pkg/timer.h"

namespace cxxdns::plugins::dnstap {

// One `dnstap` directive.
struct Tap {
  Endpoint endpoint;
  bool full = false;  // include the wire messages
  Identity identity;
  uint32_t message_types = ~0u;  // bit N: Message.Type N is sent (`message_types`)
  std::unique_ptr<Sink> sink;    // made at startup, gone at shutdown

  bool wants(MessageType t) const { return (message_types >> static_cast<int>(t)) & 1u; }
};

class Dnstap final : public Plugin, public ReplyHook, public pkg::MessageTap {
 public:
  explicit Dnstap(std::vector<Tap> taps) : taps_(std::move(taps)) {}
  std::string_view name() const override { return "dnstap"; }
  Verdict serve(QueryContext& ctx) override;
  // The answer, with the query's arrival time (unix ns) as the cookie.
  void on_reply(QueryContext& ctx, uint64_t query_ns) override;
  // A forwarder's try: FORWARDER_QUERY, and FORWARDER_RESPONSE when an answer came.
  void tap_forwarder(QueryContext& ctx, const pkg::ForwarderTry& t) override;

  const std::vector<Tap>& taps() const { return taps_; }

  // Opens the sinks (one queue per worker) and logs, every 10 s, the frames dropped.
  void start(ControlInfo& control);
  // Flushes and closes them.
  void stop();

 private:
  void send(QueryContext& ctx, const Event& e);
  void report_dropped();
  std::vector<Tap> taps_;
  pkg::Timer drops_;
};

uint64_t unix_now_ns();

}  // namespace cxxdns::plugins::dnstap
