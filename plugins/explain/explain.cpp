#include "plugins/explain/explain.h"

#include <fmt/format.h>

#include "core/dns/message.h"
#include "core/dns/response.h"
#include "core/dns/text.h"
#include "plugins/pkg/trace.h"

namespace cxxdns::plugins {

bool query_asks_explain(const QueryContext& ctx) {
  const dns::Edns& e = ctx.q().edns;
  if (!e.present) return false;
  auto wire = ctx.query_wire();
  size_t pos = e.rdata_offset, end = e.rdata_offset + e.rdata_len;
  while (pos + 4 <= end) {
    uint16_t code = dns::get16(&wire[pos]);
    uint16_t len = dns::get16(&wire[pos + 2]);
    if (code == kExplainOption) return true;
    pos += 4 + len;
  }
  return false;
}

Verdict Explain::serve(QueryContext& ctx) {
  if (query_asks_explain(ctx)) {
    auto addr = ctx.client().bytes();
    for (const pkg::IpPrefix& n : allowed_) {
      if (n.contains(addr)) {
        pkg::start_trace(ctx);
        ctx.on_reply(this);
        break;
      }
    }
  }
  return ctx.next();
}

void Explain::on_reply(QueryContext& ctx, uint64_t) {
  if (ctx.response().size() < dns::kHeaderSize) return;
  char buf[16];
  const pkg::Trace* trace = ctx.find_slot<pkg::Trace>();
  std::vector<std::string> parts = trace ? trace->notes : std::vector<std::string>{};
  double ms = double(QueryContext::now_ns() - ctx.start_ns()) / 1e6;
  parts.push_back(
      fmt::format("answer: {} in {:.3f}ms", dns::rcode_name(ctx.shape().rcode, buf), ms));
  auto& msg = ctx.writable_response();
  // One TXT record, one string a step, owned by the query name (a pointer to the question).
  std::vector<uint8_t> rdata;
  for (auto& p : parts) {
    std::string_view s = p;
    if (s.size() > 255) s = s.substr(0, 255);
    rdata.push_back(static_cast<uint8_t>(s.size()));
    rdata.insert(rdata.end(), s.begin(), s.end());
  }
  const uint8_t head[12] = {0xc0,
                            0x0c,
                            0,
                            dns::type::TXT,
                            0,
                            dns::cls::IN,
                            0,
                            0,
                            0,
                            0,
                            static_cast<uint8_t>(rdata.size() >> 8),
                            static_cast<uint8_t>(rdata.size())};
  msg.insert(msg.end(), head, head + sizeof head);
  msg.insert(msg.end(), rdata.begin(), rdata.end());
  dns::put16(msg.data() + 10, dns::get16(msg.data() + 10) + 1);
}

}  // namespace cxxdns::plugins
