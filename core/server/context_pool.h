// A worker's pool of query contexts. Contexts are reused so that their buffers stop
// allocating once warm, but the pool gives memory back: a context whose buffers grew past
// kPooledBufferMax (a 64 KB TCP answer or query) is freed when released instead of kept,
// and trim() frees the contexts the recent peak did not need.
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/plugin/context.h"
#include "core/server/local_address.h"

namespace cxxdns {

// A context as the server holds it: the query context plus what only the server's sockets
// need (kept out of the plugins' interface).
struct ServerContext final : QueryContext {
  LocalAddress local;  // where a UDP query came to
};

class ContextPool {
 public:
  static constexpr size_t kPooledBufferMax = 16 * 1024;
  static constexpr size_t kMinKept = 64;

  ServerContext* acquire();
  // `ctx` has been reset.
  void release(QueryContext* ctx);
  // Frees the free contexts above the peak in use since the last trim (at least kMinKept
  // kept).
  void trim();

  size_t in_use() const { return in_use_; }
  size_t pooled() const { return all_.size(); }

 private:
  void destroy(ServerContext* ctx);

  std::unordered_map<QueryContext*, std::unique_ptr<ServerContext>> all_;
  std::vector<ServerContext*> free_;
  size_t in_use_ = 0;
  size_t peak_ = 0;
};

}  // namespace cxxdns
