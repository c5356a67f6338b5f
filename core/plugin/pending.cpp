#include "core/plugin/pending.h"

#include <string>

#include "core/plugin/context.h"

namespace cxxdns {

PendingQuery& PendingQuery::operator=(PendingQuery&& o) noexcept {
  if (this != &o) {
    abandon();
    ctx_ = o.ctx_;
    o.ctx_ = nullptr;
  }
  return *this;
}

void PendingQuery::next() {
  (void)take()->next();
}

void PendingQuery::reply() {
  (void)take()->reply();
}

void PendingQuery::reply_rcode(uint8_t rcode) {
  (void)take()->reply_rcode(rcode);
}

void PendingQuery::fail(uint8_t rcode, std::string_view error) {
  (void)take()->fail(rcode, error);
}

void PendingQuery::abandon() {
  if (!ctx_) return;
  QueryContext* c = take();
  std::string msg = "plugin/";
  if (c->chain() && c->position() < c->chain()->plugins.size()) {
    msg.append(c->chain()->plugins[c->position()]->name());
  }
  msg.append(": query dropped unanswered");
  (void)c->fail(dns::rcode::SERVFAIL, msg);
}

}  // namespace cxxdns
