// rewrite: changes the query the plugins after it see (name, type, class, EDNS options) and
// changes their answer back on its way to the client, as CoreDNS's rewrite: the client gets
// its own question back, and the answer rules (answer name/value, auto, ttl, rcode) apply.
#pragma once

#include <memory>
#include <vector>

#include "core/plugin/context.h"
#include "plugins/rewrite/rules.h"

namespace cxxdns::plugins::rewrite {

// What the reply hook needs of one query (a per-query slot: the pooled context keeps its
// buffers, so a warm rewrite does not allocate for it).
struct PendingRewrite {
  std::vector<ResponseRule> rules;
  std::vector<EdnsOption> sent_options;    // the options of the query as rewritten
  std::vector<EdnsOption> client_options;  // and as the client sent them
  std::vector<uint8_t> scratch;
  void clear() {
    rules.clear();
    sent_options.clear();
    client_options.clear();
  }
};

class Rewrite final : public Plugin, public ReplyHook {
 public:
  explicit Rewrite(std::vector<std::unique_ptr<Rule>> rules) : rules_(std::move(rules)) {}
  std::string_view name() const override { return "rewrite"; }
  Verdict serve(QueryContext& ctx) override;
  void on_reply(QueryContext& ctx, uint64_t cookie) override;

  size_t rule_count() const { return rules_.size(); }

 private:
  std::vector<std::unique_ptr<Rule>> rules_;
};

// Rewrites `msg` (an answer to the rewritten query) for the client who asked `q`: its
// question back, then `rules` on every record (the last rule first, as CoreDNS reverts).
// False when the answer cannot be read (it is left as it was).
bool revert_answer(std::vector<uint8_t>& msg, const dns::QueryView& q, const PendingRewrite& p);

}  // namespace cxxdns::plugins::rewrite
