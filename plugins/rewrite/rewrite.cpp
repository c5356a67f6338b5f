#include "plugins/rewrite/rewrite.h"

#include "plugins/pkg/trace.h"

namespace cxxdns::plugins::rewrite {

Verdict Rewrite::serve(QueryContext& ctx) {
  Request req(ctx);
  PendingRewrite* pending = nullptr;
  for (const auto& rule : rules_) {
    Applied a = rule->apply(req);
    if (a.result != Result::done) continue;
    if (!pending) pending = &ctx.slot<PendingRewrite>();
    pending->rules.insert(pending->rules.end(), a.responses.begin(), a.responses.end());
    if (rule->mode() == Mode::stop) break;
  }
  if (!pending) return ctx.next();  // no rule matched: nothing to change, either way
  if (req.changed()) {
    std::string bad_name;
    std::vector<uint8_t>& wire = pending->scratch;
    if (!req.build(wire, bad_name)) {
      // As CoreDNS: the client's question stays, the answer is SERVFAIL.
      return ctx.fail(dns::rcode::SERVFAIL, "invalid name after rewrite: " + bad_name);
    }
    pending->client_options = req.client_options();
    pending->sent_options = req.current_options();
    if (ctx.rewrite_query(wire) != dns::QueryCheck::ok) {
      return ctx.fail(dns::rcode::SERVFAIL, "plugin/rewrite: the rewritten query does not parse");
    }
    if (pkg::tracing(ctx)) pkg::note(ctx, "rewrite", "asking " + std::string(ctx.qname_text()));
  }
  ctx.on_reply(this);
  return ctx.next();
}

void Rewrite::on_reply(QueryContext& ctx, uint64_t) {
  // The hooks before this one (cache, log) and the client see the client's query again.
  ctx.restore_query();
  PendingRewrite* pending = ctx.find_slot<PendingRewrite>();
  if (!pending || ctx.response().empty()) return;
  std::vector<uint8_t>& msg = ctx.writable_response();
  revert_answer(msg, ctx.q(), *pending);
}

}  // namespace cxxdns::plugins::rewrite
