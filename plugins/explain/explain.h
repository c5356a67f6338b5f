// explain: for a query that asks (our EDNS option), the path it took through the chain,
// as a TXT record in the additional section of its answer.
#pragma once

#include <vector>

#include "core/plugin/context.h"
#include "plugins/pkg/ip.h"

namespace cxxdns::plugins {

// EDNS0 option code in the local/experimental range (RFC 6891 9: 65001-65534) that asks
// for an explanation. `cxxdns resolve --trace` sends it.
constexpr uint16_t kExplainOption = 65330;

// True when the query's OPT record carries kExplainOption.
bool query_asks_explain(const QueryContext& ctx);

class Explain final : public Plugin, public ReplyHook {
 public:
  explicit Explain(std::vector<pkg::IpPrefix> allowed) : allowed_(std::move(allowed)) {}
  std::string_view name() const override { return "explain"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t) override;

 private:
  std::vector<pkg::IpPrefix> allowed_;
};

}  // namespace cxxdns::plugins
