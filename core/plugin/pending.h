// PendingQuery: a query a plugin keeps to answer later (forward waiting on an upstream, a
// lookup through the chain). It is the one handle to that query: move-only, used once, and
// when dropped unanswered (a bug, or a shutdown path that forgot it) it answers SERVFAIL
// itself, so no query is ever left without an answer or its context leaked. Use it, and
// drop it, on the worker that made it.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/plugin/verdict.h"

namespace cxxdns {

class QueryContext;

class PendingQuery {
 public:
  PendingQuery() = default;
  PendingQuery(PendingQuery&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
  PendingQuery& operator=(PendingQuery&& o) noexcept;
  PendingQuery(const PendingQuery&) = delete;
  PendingQuery& operator=(const PendingQuery&) = delete;
  ~PendingQuery() { abandon(); }

  explicit operator bool() const { return ctx_ != nullptr; }
  QueryContext& ctx() const { return *ctx_; }
  QueryContext* operator->() const { return ctx_; }

  // Each ends the handle (it is empty afterwards), as the context's calls of the same name.
  void next();
  void reply();  // the answer is in ctx().response()
  void reply_rcode(uint8_t rcode);
  void fail(uint8_t rcode, std::string_view error);

 private:
  friend class QueryContext;
  explicit PendingQuery(QueryContext* ctx) : ctx_(ctx) {}
  QueryContext* take() {
    QueryContext* c = ctx_;
    ctx_ = nullptr;
    return c;
  }
  void abandon();  // SERVFAIL, when still holding a query

  QueryContext* ctx_ = nullptr;
};

// What ctx.defer() gives: the verdict serve() returns, and the handle to answer with.
struct Deferral {
  Verdict verdict;
  PendingQuery query;
};

}  // namespace cxxdns
