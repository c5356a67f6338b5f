// loadbalance: shuffles A, AAAA and MX records of every answer (round_robin, as CoreDNS).
#pragma once

#include <random>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/loadbalance/shuffle.h"

namespace cxxdns::plugins {

class LoadBalance final : public Plugin, public ReplyHook {
 public:
  explicit LoadBalance(int workers) {
    std::random_device rd;
    for (int i = 0; i < (workers < 1 ? 1 : workers); ++i) {
      rngs_.push_back(Rng{(uint64_t{rd()} << 32 | rd()) | 1});
    }
  }
  std::string_view name() const override { return "loadbalance"; }
  Verdict serve(QueryContext& ctx) override {
    ctx.on_reply(this, 0);
    return ctx.next();
  }
  void on_reply(QueryContext& ctx, uint64_t) override {
    shuffle_answer(ctx.writable_response(),
                   rngs_[static_cast<size_t>(ctx.worker().index) % rngs_.size()]);
  }

 private:
  // One generator per worker: each is only touched by its worker's thread.
  std::vector<Rng> rngs_;
};

}  // namespace cxxdns::plugins
