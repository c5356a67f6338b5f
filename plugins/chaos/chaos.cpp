#include "plugins/chaos/chaos.h"

#include <algorithm>
#include <random>

#include "core/dns/writer.h"

namespace cxxdns::plugins {

std::string trim255(std::string s) {
  if (s.size() > 255) s.resize(255);
  return s;
}

Verdict Chaos::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  if (q.qclass != dns::cls::CH || q.qtype != dns::type::TXT) return ctx.next();
  const std::string_view name = ctx.qname_text();
  std::vector<const std::string*> texts;
  if (name == "authors.bind.") {
    // One TXT record an author, in a new random order each time, as CoreDNS.
    for (const auto& a : authors_) texts.push_back(&a);
    thread_local std::mt19937 rng{std::random_device{}()};
    std::shuffle(texts.begin(), texts.end(), rng);
  } else if (name == "version.bind." || name == "version.server.") {
    texts.push_back(&version_);
  } else if (name == "hostname.bind." || name == "id.server.") {
    texts.push_back(&hostname_);
  } else {
    return ctx.next();
  }
  return answer(ctx, texts);
}

Verdict Chaos::answer(QueryContext& ctx, const std::vector<const std::string*>& texts) const {
  const dns::QueryView& q = ctx.q();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, false);  // CoreDNS's SetReply: not authoritative
  for (const std::string* t : texts) {
    w.begin_rr(q.qname, dns::type::TXT, dns::cls::CH, 0);
    w.rd_text(*t);
    w.end_rr();
  }
  return ctx.reply();
}

}  // namespace cxxdns::plugins
