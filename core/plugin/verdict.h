// Verdict: what a plugin's serve() returns. Only the query context makes one, from the three
// things a plugin may do with a query (CoreDNS returns (rcode, error); Envoy's filters a
// FilterStatus; Knot's layers a state): pass it on (ctx.next()), answer it (ctx.reply...),
// or keep it to answer later (ctx.defer()). So a serve() that forgets to do one of them does
// not compile, and a verdict dropped on the floor is a warning ([[nodiscard]]).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cxxdns {

class QueryContext;

class [[nodiscard]] Verdict {
 public:
  enum class Kind : uint8_t { passed, answered, deferred };
  Kind kind() const { return kind_; }

 private:
  friend class QueryContext;
  Kind kind_;
#ifdef NDEBUG
  explicit Verdict(Kind k, const QueryContext*, size_t) : kind_(k) {}
#else
  // Debug builds check that serve() returns the verdict its own call made (this context,
  // this plugin's position); release builds carry the kind only.
  explicit Verdict(Kind k, const QueryContext* ctx, size_t pos) : kind_(k), ctx_(ctx), pos_(pos) {}
  const QueryContext* ctx_;
  size_t pos_;
#endif
};

}  // namespace cxxdns
