#include "core/dns/copy.h"

namespace cxxdns::dns {
namespace {

// How a type's data is laid out around its names: `before` fixed bytes, then `names`
// names, then the rest as it is. Types not listed are copied whole.
struct Layout {
  uint8_t before = 0;
  uint8_t names = 0;
};

Layout layout_of(uint16_t type) {
  switch (type) {
    case 2:   // NS
    case 3:   // MD
    case 4:   // MF
    case 5:   // CNAME
    case 7:   // MB
    case 8:   // MG
    case 9:   // MR
    case 12:  // PTR
    case 39:  // DNAME
      return {0, 1};
    case 6:   // SOA: MNAME, RNAME, then five numbers
    case 14:  // MINFO
    case 17:  // RP
      return {0, 2};
    case 15:  // MX
    case 18:  // AFSDB
    case 21:  // RT
    case 36:  // KX
      return {2, 1};
    case 33:  // SRV: priority, weight, port, target
      return {6, 1};
    default:
      return {};
  }
}

}  // namespace

bool copy_record(std::span<const uint8_t> msg, const RecordRef& r, MessageWriter& w,
                 const Name* owner) {
  Name name;
  if (!owner) {
    size_t at = r.offset;
    if (!read_name(msg, at, name)) return false;
    owner = &name;
  }
  w.begin_rr(*owner, r.type, r.klass, r.ttl);
  const size_t end = size_t{r.rdata_offset} + r.rdata_len;
  size_t at = r.rdata_offset;
  const Layout l = layout_of(r.type);
  if (l.names > 0 && r.rdata_len >= l.before) {
    w.rd_bytes(msg.subspan(at, l.before));
    at += l.before;
    for (int i = 0; i < l.names; ++i) {
      Name n;
      if (!read_name(msg, at, n) || at > end) return false;
      // RFC 2782: an SRV target is never compressed; the others may be.
      w.rd_name(n, r.type != type::SRV);
    }
  }
  w.rd_bytes(msg.subspan(at, end - at));
  w.end_rr();
  return true;
}

}  // namespace cxxdns::dns
