#include "core/server/context_pool.h"

#include <algorithm>

namespace cxxdns {

ServerContext* ContextPool::acquire() {
  ServerContext* c;
  if (free_.empty()) {
    auto owned = std::make_unique<ServerContext>();
    c = owned.get();
    all_.emplace(c, std::move(owned));
  } else {
    c = free_.back();
    free_.pop_back();
  }
  peak_ = std::max(peak_, ++in_use_);
  return c;
}

void ContextPool::destroy(ServerContext* ctx) {
  all_.erase(ctx);
}

void ContextPool::release(QueryContext* base) {
  // Every context this pool hands out is a ServerContext.
  auto* ctx = static_cast<ServerContext*>(base);
  --in_use_;
  // The query buffer grows to the largest query the context held; a big one was this one.
  if (ctx->response().capacity() > kPooledBufferMax ||
      ctx->query_wire().size() > kPooledBufferMax) {
    destroy(ctx);
    return;
  }
  free_.push_back(ctx);
}

void ContextPool::trim() {
  const size_t keep = std::max(peak_, kMinKept);
  while (all_.size() > keep && !free_.empty()) {
    destroy(free_.back());
    free_.pop_back();
  }
  free_.shrink_to_fit();
  peak_ = in_use_;
}

}  // namespace cxxdns
