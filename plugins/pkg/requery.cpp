#include "plugins/pkg/requery.h"

#include "core/dns/writer.h"

namespace cxxdns::pkg {

void requery(const QueryContext& ctx, const dns::Name& name, uint16_t qtype,
             std::vector<uint8_t>& out) {
  const dns::QueryView& q = ctx.q();
  dns::MessageWriter w(out);
  dns::Header h;
  h.id = q.hdr.id;
  h.flags = q.hdr.flags;
  w.start(h);
  w.question(name, qtype, q.qclass);
  if (!q.edns.present) return;
  // The OPT record as the client sent it (its owner is the root: one zero byte).
  auto wire = ctx.query_wire();
  out.push_back(0);
  out.insert(out.end(), wire.begin() + (q.edns.rdata_offset - 10),
             wire.begin() + (q.edns.rdata_offset + q.edns.rdata_len));
  dns::put16(out.data() + 10, 1);
}

const Chain* route_from(const Services* services, const Chain* own, const dns::Name& name) {
  if (!services || !services->config) return own;
  for (const ListenerSpec& l : services->config->listeners) {
    bool serves_own = false;
    for (const Route& r : l.routes) serves_own = serves_own || r.chain == own;
    if (!serves_own) continue;
    const Route* r = l.route(name);
    return r ? r->chain : nullptr;
  }
  return own;
}

}  // namespace cxxdns::pkg
