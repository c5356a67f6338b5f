#include "plugins/kubernetes/records.h"

#include <algorithm>
#include <cstring>

namespace cxxdns::plugins::k8s {

bool join(std::string_view rel, std::string_view zone, dns::Name& out) {
  char buf[dns::kMaxNameWire * 4 + 2];
  if (zone == ".") zone = {};
  if (rel.size() + zone.size() + 2 > sizeof buf) return false;
  size_t n = 0;
  if (!rel.empty()) {
    std::memcpy(buf, rel.data(), rel.size());
    n = rel.size();
    if (rel.back() == '.') return dns::from_text(rel, out);  // already absolute
    buf[n++] = '.';
  }
  std::memcpy(buf + n, zone.data(), zone.size());
  n += zone.size();
  if (n == 0) buf[n++] = '.';
  return dns::from_text(std::string_view(buf, n), out);
}

void write_soa(dns::MessageWriter& w, const ClusterIndex& x, std::string_view zone, uint32_t ttl) {
  dns::Name zname, ns, mbox;
  join("", zone, zname);
  join("ns.dns", zone, ns);
  join("hostmaster", zone, mbox);
  w.begin_rr(zname, dns::type::SOA, dns::cls::IN, std::min<uint32_t>(ttl, 300));
  w.rd_name(ns);
  w.rd_name(mbox);
  w.rd_u32(static_cast<uint32_t>(x.serial));
  w.rd_u32(7200);
  w.rd_u32(1800);
  w.rd_u32(86400);
  w.rd_u32(ttl);
  w.end_rr();
}

}  // namespace cxxdns::plugins::k8s
