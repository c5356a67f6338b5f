#include "core/plugin/internal_query.h"

namespace cxxdns {

namespace {

// Owns the context of one internal query and gives its answer to the callback.
class InternalJob final : public ReplySink {
 public:
  explicit InternalJob(InternalDone done) : done_(std::move(done)) {}
  void deliver(QueryContext& ctx) override {
    done_(ctx);
    delete this;
  }
  QueryContext ctx;

 private:
  InternalDone done_;
};

}  // namespace

void send_internal(WorkerInfo& worker, const Chain* chain, size_t pos,
                   std::span<const uint8_t> wire, const ClientAddress& client, uint8_t parent_depth,
                   InternalDone done) {
  auto* job = new InternalJob(std::move(done));
  QueryContext& ctx = job->ctx;
  ctx.bind(&worker, job, nullptr);
  ctx.set_depth(static_cast<uint8_t>(parent_depth + 1));
  if (ctx.load(wire, Transport::internal, client) != dns::QueryCheck::ok) {
    ctx.reply_unparsed(dns::rcode::FORMERR);
    return;
  }
  if (ctx.depth() > kMaxInternalDepth) {
    (void)ctx.fail(dns::rcode::SERVFAIL, "internal queries nested too deep (a lookup loop)");
    return;
  }
  ctx.run(chain, pos);
}

}  // namespace cxxdns
