#include "plugins/header/header.h"

#include "core/dns/message.h"

namespace cxxdns::plugins {

Verdict Header::serve(QueryContext& ctx) {
  if (!query_.empty()) ctx.set_query_flags(query_.set, query_.clear);
  if (!response_.empty()) ctx.on_reply(this);
  return ctx.next();
}

void Header::on_reply(QueryContext& ctx, uint64_t) {
  if (!ctx.shape().valid) return;
  // The flags are patched in the message and in its shape (finalize writes the shape's).
  dns::AnswerShape& shape = ctx.fill_shape();
  shape.hdr.flags = response_.apply(shape.hdr.flags);
  dns::put16(ctx.response_bytes().data() + 2, shape.hdr.flags);
}

}  // namespace cxxdns::plugins
