// The plugin interface: what every handler in a server block's chain implements. It holds
// only what the query path needs; everything else a plugin may offer (start and stop, per
// worker state, readiness, lameduck, metrics) it registers at setup (setup.h).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/plugin/verdict.h"

namespace cxxdns {

class QueryContext;

class Plugin {
 public:
  virtual ~Plugin() = default;

  // The directive name, as in the Corefile ("cache", "forward").
  virtual std::string_view name() const = 0;

  // Handles one query by returning what exactly one of these made:
  //   ctx.next()                          -- pass it to the next plugin,
  //   ctx.reply() / reply_rcode() / fail() / drop()  -- answer it now,
  //   ctx.defer()                         -- keep a PendingQuery and answer it later, from a
  //                                          callback on the same worker.
  // Once next() or an answer has returned, the context may already be answered and reused:
  // don't touch it. A PendingQuery dropped unanswered answers SERVFAIL itself.
  virtual Verdict serve(QueryContext& ctx) = 0;
};

// For plugins that see (and may rewrite) the final answer of the plugins after them: they
// call ctx.on_reply(this, cookie) before ctx.next(), and on_reply runs with the answer in
// ctx.response(), innermost first. It must not answer nor pass the query on.
class ReplyHook {
 public:
  virtual void on_reply(QueryContext& ctx, uint64_t cookie) = 0;

 protected:
  ~ReplyHook() = default;
};

}  // namespace cxxdns
