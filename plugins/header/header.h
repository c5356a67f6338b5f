// header: sets or clears flags of the header of queries (for the plugins after it) and of
// answers, as CoreDNS's header.
#pragma once

#include <cstdint>

#include "core/plugin/context.h"

namespace cxxdns::plugins {

// What a list of set/clear rules does to a flags word, applied in order (the last rule for
// a flag wins): (flags & ~clear) | set.
struct FlagRules {
  uint16_t set = 0, clear = 0;
  void add(uint16_t bit, bool on) {
    if (on) {
      set |= bit;
      clear &= static_cast<uint16_t>(~bit);
    } else {
      clear |= bit;
      set &= static_cast<uint16_t>(~bit);
    }
  }
  bool empty() const { return set == 0 && clear == 0; }
  uint16_t apply(uint16_t flags) const { return static_cast<uint16_t>((flags & ~clear) | set); }
};

class Header final : public Plugin, public ReplyHook {
 public:
  Header(FlagRules query, FlagRules response) : query_(query), response_(response) {}
  std::string_view name() const override { return "header"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;

 private:
  FlagRules query_, response_;
};

}  // namespace cxxdns::plugins
