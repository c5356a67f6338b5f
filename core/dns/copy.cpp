#include "core/dns/copy.h"

#include "core/dns/rdata.h"

namespace cxxdns::dns {
bool copy_record(std::span<const uint8_t> msg, const RecordRef& r, MessageWriter& w,
                 const Name* owner) {
  Name name;
  if (!owner) {
    size_t at = r.offset;
    if (!read_name(msg, at, name)) return false;
    owner = &name;
  }
  RdataPart parts[kMaxRdataParts];
  const int n = rdata_parts(msg, r, parts);
  if (n < 0) return false;
  w.begin_rr(*owner, r.type, r.klass, r.ttl);
  // RFC 3597: only RFC 1035's types are written compressed (an SRV target never is).
  const bool compress = rdata_names_compressible(r.type);
  for (int i = 0; i < n; ++i) {
    if (parts[i].name) {
      Name target;
      size_t at = parts[i].offset;
      if (!read_name(msg, at, target)) return false;
      w.rd_name(target, compress);
    } else {
      w.rd_bytes(msg.subspan(parts[i].offset, parts[i].len));
    }
  }
  w.end_rr();
  return true;
}

}  // namespace cxxdns::dns
