// Shared by the micro benchmarks: the allocation counter (main.cpp) and a chain runner that
// feeds a query straight into a built chain, as a worker does, without sockets.
#pragma once

#include <atomic>
#include <cstddef>
#include <span>
#include <stdexcept>

#include "core/plugin/context.h"
#include "core/plugin/testing.h"

namespace micro {

extern std::atomic<bool> counting;
extern std::atomic<size_t> allocations;

class Runner final : public cxxdns::ReplySink {
 public:
  explicit Runner(const cxxdns::Chain* chain) : chain_(chain) {
    ctx_.bind(&worker_, this, nullptr);
    client_.storage.ss_family = AF_INET;
  }
  void deliver(cxxdns::QueryContext& ctx) override {
    ++delivered;
    last_size = ctx.response().size();
  }
  // One query through the chain; the answer is delivered before it returns (no upstream).
  void run(std::span<const uint8_t> wire) {
    ctx_.reset();
    if (ctx_.load(wire, cxxdns::Transport::udp, client_) != cxxdns::dns::QueryCheck::ok)
      throw std::runtime_error("query does not parse");
    ctx_.run(chain_);
  }
  cxxdns::QueryContext& ctx() { return ctx_; }
  size_t delivered = 0;
  size_t last_size = 0;

 private:
  const cxxdns::Chain* chain_;
  cxxdns::WorkerInfo worker_;
  cxxdns::QueryContext ctx_;
  cxxdns::ClientAddress client_;
};

}  // namespace micro
