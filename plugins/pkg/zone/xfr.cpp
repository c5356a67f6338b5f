#include "plugins/pkg/zone/xfr.h"

namespace cxxdns::pkg::zone {
namespace {

void emit_set(const ZoneData& z, const dns::Name& owner, const RRset* s, const XfrEmit& emit) {
  if (!s) return;
  RecordView v;
  v.owner = owner;
  v.type = s->type;
  for (const Record& r : z.records(*s)) {
    v.klass = r.klass;
    v.ttl = r.ttl;
    v.rdata = z.rdata(r);
    emit(v);
  }
}

bool apex_set(const ZoneData& z, const Node& n, const RRset& s) {
  if (&n != z.apex()) return false;
  const uint16_t t = s.type == type::RRSIG ? s.covered : s.type;
  return t == dns::type::SOA || t == dns::type::NS;
}

}  // namespace

void emit_zone(const ZoneData& z, uint32_t serial, const XfrEmit& emit) {
  const Node& apex = *z.apex();
  const dns::Name origin = z.origin();
  const RRset* soa = z.rrset(apex, dns::type::SOA);
  // IXFR from a client that has this serial (or a newer one): the SOA alone.
  if (serial != 0 && !serial_less(serial, z.serial())) {
    emit_set(z, origin, soa, emit);
    return;
  }
  emit_set(z, origin, soa, emit);
  emit_set(z, origin, z.sigs(apex, dns::type::SOA), emit);
  emit_set(z, origin, z.rrset(apex, dns::type::NS), emit);
  emit_set(z, origin, z.sigs(apex, dns::type::NS), emit);
  for (const Node& n : z.nodes()) {
    const dns::Name owner = z.name_of(n);
    for (const RRset& s : z.sets(n)) {
      if (!apex_set(z, n, s)) emit_set(z, owner, &s, emit);
    }
  }
  emit_set(z, origin, soa, emit);
}

}  // namespace cxxdns::pkg::zone
