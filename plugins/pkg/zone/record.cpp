#include "plugins/pkg/zone/record.h"

#include <algorithm>
#include <cstring>

namespace cxxdns::pkg::zone {
namespace {

// Where the names of a type's RDATA are: after `skip` fixed bytes (for NAPTR, after two
// numbers and three character-strings), `names` names in a row.
struct Layout {
  uint8_t skip = 0;
  uint8_t names = 0;
  bool naptr = false;
};

Layout layout(uint16_t t) {
  switch (t) {
    case dns::type::NS:
    case type::MD:
    case type::MF:
    case dns::type::CNAME:
    case type::MB:
    case type::MG:
    case type::MR:
    case dns::type::PTR:
    case type::DNAME:
    case type::NSEC:
      return {0, 1};
    case dns::type::SOA:
    case type::MINFO:
    case type::RP:
      return {0, 2};
    case dns::type::MX:
    case type::AFSDB:
    case type::RT:
    case type::KX:
      return {2, 1};
    case type::PX:
      return {2, 2};
    case dns::type::SRV:
      return {6, 1};
    case type::RRSIG:
      return {18, 1};
    case type::NAPTR:
      return {4, 1, true};
    default:
      return {};
  }
}

// The offset of the first name of the RDATA at [off, end) of `msg`, or SIZE_MAX when its
// fixed part does not fit.
size_t first_name(std::span<const uint8_t> msg, size_t off, size_t end, const Layout& l) {
  size_t p = off + l.skip;
  if (p > end) return SIZE_MAX;
  if (l.naptr) {  // FLAGS, SERVICES, REGEXP: three character-strings
    for (int i = 0; i < 3; ++i) {
      if (p >= end) return SIZE_MAX;
      p += 1 + msg[p];
      if (p > end) return SIZE_MAX;
    }
  }
  return p;
}

void lower_name_at(std::span<uint8_t> rdata, size_t p) {
  while (p < rdata.size() && rdata[p] != 0 && rdata[p] < 64) {
    size_t end = std::min(rdata.size(), p + 1 + rdata[p]);
    for (size_t i = p + 1; i < end; ++i) {
      if (rdata[i] >= 'A' && rdata[i] <= 'Z') rdata[i] = static_cast<uint8_t>(rdata[i] + 32);
    }
    p = end;
  }
}

}  // namespace

bool compressible(uint16_t t) {
  switch (t) {
    case dns::type::NS:
    case type::MD:
    case type::MF:
    case dns::type::CNAME:
    case dns::type::SOA:
    case type::MB:
    case type::MG:
    case type::MR:
    case dns::type::PTR:
    case type::MINFO:
    case dns::type::MX:
      return true;
    default:
      return false;
  }
}

bool read_rdata(std::span<const uint8_t> msg, const dns::RecordRef& r, std::vector<uint8_t>& out) {
  const size_t end = size_t(r.rdata_offset) + r.rdata_len;
  const Layout l = layout(r.type);
  if (l.names == 0) {
    out.insert(out.end(), msg.begin() + r.rdata_offset, msg.begin() + end);
    return true;
  }
  size_t p = first_name(msg, r.rdata_offset, end, l);
  if (p == SIZE_MAX) return false;
  out.insert(out.end(), msg.begin() + r.rdata_offset, msg.begin() + p);
  for (int i = 0; i < l.names; ++i) {
    dns::Name n;
    if (!dns::read_name(msg, p, n) || p > end) return false;
    out.insert(out.end(), n.data, n.data + n.len);
  }
  out.insert(out.end(), msg.begin() + p, msg.begin() + end);
  return true;
}

void write_rdata(dns::MessageWriter& w, uint16_t t, std::span<const uint8_t> rdata) {
  const Layout l = layout(t);
  size_t p = l.names > 0 && compressible(t) ? first_name(rdata, 0, rdata.size(), l) : SIZE_MAX;
  if (p == SIZE_MAX) {
    w.rd_bytes(rdata);
    return;
  }
  w.rd_bytes(rdata.first(p));
  for (int i = 0; i < l.names; ++i) {
    dns::Name n;
    const size_t at = p;
    if (!dns::read_name(rdata, p, n)) {  // not what the type says: as it is
      w.rd_bytes(rdata.subspan(at));
      return;
    }
    w.rd_name(n, true);
  }
  w.rd_bytes(rdata.subspan(p));
}

void write_record(dns::MessageWriter& w, const dns::Name& owner, uint16_t t, uint16_t klass,
                  uint32_t ttl, std::span<const uint8_t> rdata) {
  w.begin_rr(owner, t, klass, ttl);
  write_rdata(w, t, rdata);
  w.end_rr();
}

void lower_rdata_names(uint16_t t, std::span<uint8_t> rdata) {
  switch (t) {
    case dns::type::NS:
    case dns::type::CNAME:
    case dns::type::MX:
    case dns::type::SRV:
    case dns::type::SOA:
      break;
    default:
      return;
  }
  const Layout l = layout(t);
  size_t p = first_name(rdata, 0, rdata.size(), l);
  for (int i = 0; i < l.names && p < rdata.size(); ++i) {
    lower_name_at(rdata, p);
    if (!dns::skip_name(rdata, p)) return;
  }
}

bool rdata_target(uint16_t t, std::span<const uint8_t> rdata, dns::Name& out) {
  size_t p = 0;
  switch (t) {
    case dns::type::NS:
    case dns::type::CNAME:
    case dns::type::PTR:
    case type::DNAME:
      break;
    case dns::type::MX:
      p = 2;
      break;
    case dns::type::SRV:
      p = 6;
      break;
    default:
      return false;
  }
  if (p >= rdata.size() || !dns::read_name(rdata, p, out)) return false;
  out.to_lower();
  return true;
}

bool read_soa(std::span<const uint8_t> rdata, SoaFields& out) {
  size_t p = 0;
  if (!dns::skip_name(rdata, p) || !dns::skip_name(rdata, p) || p + 20 > rdata.size()) {
    return false;
  }
  const uint8_t* f = rdata.data() + p;
  out = {dns::get32(f), dns::get32(f + 4), dns::get32(f + 8), dns::get32(f + 12),
         dns::get32(f + 16)};
  return true;
}

bool serial_less(uint32_t a, uint32_t b) {
  return a != b && uint32_t(b - a) < 0x80000000u;
}

namespace {
// The offsets of the labels of a wire name (the root's zero label not counted).
int label_offsets(std::span<const uint8_t> n, uint8_t (&at)[128]) {
  int count = 0;
  for (size_t p = 0; p < n.size() && n[p] != 0 && count < 128; p += 1 + n[p]) {
    at[count++] = static_cast<uint8_t>(p);
  }
  return count;
}
}  // namespace

int compare_canonical(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  uint8_t ao[128], bo[128];
  int an = label_offsets(a, ao), bn = label_offsets(b, bo);
  for (int i = an - 1, j = bn - 1; i >= 0 && j >= 0; --i, --j) {
    const uint8_t* la = a.data() + ao[i];
    const uint8_t* lb = b.data() + bo[j];
    if (int c = std::memcmp(la + 1, lb + 1, std::min(la[0], lb[0]))) return c;
    if (la[0] != lb[0]) return la[0] < lb[0] ? -1 : 1;
  }
  return an - bn;
}

std::span<const uint8_t> parent(std::span<const uint8_t> n) {
  if (n.size() <= 1) return n;
  return n.subspan(1 + n[0]);
}

int labels(std::span<const uint8_t> n) {
  int count = 0;
  for (size_t p = 0; p < n.size() && n[p] != 0; p += 1 + n[p]) ++count;
  return count;
}

bool under(std::span<const uint8_t> n, std::span<const uint8_t> zone) {
  if (zone.empty()) return false;
  while (n.size() > zone.size()) n = parent(n);
  return n.size() == zone.size() && std::equal(n.begin(), n.end(), zone.begin());
}

}  // namespace cxxdns::pkg::zone
