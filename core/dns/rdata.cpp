#include "core/dns/rdata.h"

namespace cxxdns::dns {

const char* rdata_layout(uint16_t type) {
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
      return "N";
    case 6:  // SOA: MNAME, RNAME, then serial, refresh, retry, expire, minimum
      return "NN*";
    case 14:  // MINFO
    case 17:  // RP
      return "NN";
    case 15:  // MX
    case 18:  // AFSDB
    case 21:  // RT
    case 36:  // KX
      return "2N";
    case 26:  // PX
      return "2NN";
    case 33:  // SRV: priority, weight, port, target
      return "6N";
    case 35:  // NAPTR: order, preference, flags, services, regexp, replacement
      return "4SSSN";
    default:
      return "*";
  }
}

bool rdata_names_compressible(uint16_t type) {
  switch (type) {
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 12:
    case 14:
    case 15:
      return true;
    default:
      return false;
  }
}

int rdata_parts(std::span<const uint8_t> msg, const RecordRef& r,
                RdataPart (&parts)[kMaxRdataParts]) {
  const uint32_t end = r.rdata_offset + r.rdata_len;
  // Names may not run past the RDATA: they are read from a view that ends there (pointers
  // still reach back into the message before it).
  const std::span<const uint8_t> upto = msg.first(end);
  uint32_t pos = r.rdata_offset;
  int n = 0;
  auto add = [&](bool name, uint32_t from, uint32_t to) {
    if (to == from) return;
    if (!name && n > 0 && !parts[n - 1].name) {
      parts[n - 1].len += to - from;  // bytes after bytes: one part
      return;
    }
    parts[n++] = RdataPart{name, from, to - from};
  };
  for (const char* f = rdata_layout(r.type); *f; ++f) {
    const uint32_t start = pos;
    switch (*f) {
      case 'N': {
        size_t p = pos;
        if (!skip_name(upto, p)) return -1;
        pos = static_cast<uint32_t>(p);
        add(true, start, pos);
        continue;
      }
      case 'S':
        if (pos >= end) return -1;
        pos += 1 + msg[pos];
        break;
      case '*':
        pos = end;
        break;
      default:  // a digit: that many fixed bytes
        pos += *f - '0';
    }
    if (pos > end) return -1;
    add(false, start, pos);
  }
  if (pos != end) add(false, pos, end);  // bytes past the last field a type has
  return n;
}

bool name_points_into(std::span<const uint8_t> msg, uint32_t offset, uint32_t from, uint32_t to) {
  size_t pos = offset;
  bool jumped = false;
  for (int hops = 0; hops <= 64;) {
    if (pos >= msg.size()) return false;
    const uint8_t l = msg[pos];
    if ((l & 0xc0) == 0xc0) {
      if (pos + 2 > msg.size()) return false;
      const size_t target = ((l & 0x3f) << 8) | msg[pos + 1];
      if (target >= pos) return false;  // pointers go backwards (read_name refuses others)
      pos = target;
      jumped = true;
      ++hops;
      continue;
    }
    if ((l & 0xc0) != 0) return false;
    // A label read through a pointer: does it lie in [from, to)?
    if (jumped && pos < to && pos + 1 + l > from) return true;
    if (l == 0) return false;
    pos += 1 + l;
  }
  return false;
}

}  // namespace cxxdns::dns
