#include "plugins/whoami/whoami.h"

#include <cstring>

#include "core/dns/writer.h"

namespace cxxdns::plugins {

Verdict Whoami::serve(QueryContext& ctx) {
  const dns::QueryView& q = ctx.q();
  dns::MessageWriter w(ctx.writable_response());
  w.start_reply(q, dns::rcode::NOERROR, true);
  w.section(dns::Section::additional);
  // Owner names keep the query's case, as CoreDNS's state.QName().
  const dns::Name& owner = q.qname;
  auto addr = ctx.client().bytes();
  if (addr.size() == 4) {
    w.a(owner, 0, addr.data(), q.qclass);
  } else if (addr.size() == 16) {
    w.aaaa(owner, 0, addr.data(), q.qclass);
  }
  // _udp.<qname> (or _tcp.) SRV carrying the client's source port, target the root.
  dns::Name srv_owner;
  const char* proto = ctx.transport() == Transport::tcp ? "_tcp" : "_udp";
  srv_owner.data[0] = 4;
  std::memcpy(srv_owner.data + 1, proto, 4);
  size_t room = sizeof srv_owner.data - 5;
  if (owner.len <= room) {
    std::memcpy(srv_owner.data + 5, owner.data, owner.len);
    srv_owner.len = static_cast<uint8_t>(5 + owner.len);
    dns::Name root;
    root.data[0] = 0;
    root.len = 1;
    w.begin_rr(srv_owner, dns::type::SRV, q.qclass, 0);
    w.rd_u16(0);
    w.rd_u16(0);
    w.rd_u16(ctx.client().port());
    w.rd_name(root, false);
    w.end_rr();
  }
  return ctx.reply();
}

}  // namespace cxxdns::plugins
