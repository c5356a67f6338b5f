#include "plugins/pkg/records.h"

#include <cstring>

#include "core/dns/rdata.h"
#include "core/dns/writer.h"

namespace cxxdns::pkg {

namespace {

// Walks `layout` over an RDATA at [pos, end) of `msg`, calling on_name(name) for each name
// (read with decompression) and on_bytes(begin, len) for the rest. False when the RDATA does
// not hold what the layout says.
template <typename OnName, typename OnBytes>
bool walk_rdata(const char* layout, std::span<const uint8_t> msg, size_t pos, size_t end,
                OnName&& on_name, OnBytes&& on_bytes) {
  for (const char* l = layout; *l; ++l) {
    if (*l == 'N') {
      dns::Name n;
      if (!dns::read_name(msg, pos, n) || pos > end) return false;
      on_name(n);
    } else if (*l == 'S') {
      if (pos >= end || pos + 1 + msg[pos] > end) return false;
      const size_t len = 1u + msg[pos];
      on_bytes(pos, len);
      pos += len;
    } else if (*l == '*') {
      on_bytes(pos, end - pos);
      pos = end;
    } else {
      const size_t len = static_cast<size_t>(*l - '0');
      if (pos + len > end) return false;
      on_bytes(pos, len);
      pos += len;
    }
  }
  return pos == end;
}

}  // namespace

uint16_t Message::rcode() const {
  uint16_t rc = hdr.flags & dns::flag::RCODE_MASK;
  for (const Record& r : records) {
    if (r.type == dns::type::OPT) rc |= static_cast<uint16_t>((r.ttl >> 24) << 4);
  }
  return rc;
}

void Message::set_rcode(uint16_t rc) {
  hdr.flags = static_cast<uint16_t>((hdr.flags & ~dns::flag::RCODE_MASK) | (rc & 0xf));
  if (Record* o = opt()) o->ttl = (o->ttl & 0x00ffffffu) | (uint32_t(rc >> 4) << 24);
}

Record* Message::opt() {
  for (Record& r : records) {
    if (r.type == dns::type::OPT) return &r;
  }
  return nullptr;
}

bool read_record(std::span<const uint8_t> msg, size_t& pos, Record& out) {
  if (!dns::read_name(msg, pos, out.owner) || pos + 10 > msg.size()) return false;
  out.type = dns::get16(&msg[pos]);
  out.klass = dns::get16(&msg[pos + 2]);
  out.ttl = dns::get32(&msg[pos + 4]);
  const size_t len = dns::get16(&msg[pos + 8]);
  pos += 10;
  if (pos + len > msg.size()) return false;
  out.rdata.clear();
  const bool ok = walk_rdata(
      dns::rdata_layout(out.type), msg, pos, pos + len,
      [&](const dns::Name& n) { out.rdata.insert(out.rdata.end(), n.data, n.data + n.len); },
      [&](size_t at, size_t n) {
        out.rdata.insert(out.rdata.end(), msg.begin() + static_cast<ptrdiff_t>(at),
                         msg.begin() + static_cast<ptrdiff_t>(at + n));
      });
  pos += len;
  return ok && out.rdata.size() <= 0xffff;
}

bool read_message(std::span<const uint8_t> wire, Message& out) {
  if (wire.size() < dns::kHeaderSize) return false;
  out.hdr = dns::Header::read(wire.data());
  out.questions.clear();
  out.records.clear();
  size_t pos = dns::kHeaderSize;
  for (uint16_t i = 0; i < out.hdr.qdcount; ++i) {
    Question q;
    if (!dns::read_name(wire, pos, q.name) || pos + 4 > wire.size()) return false;
    q.qtype = dns::get16(&wire[pos]);
    q.qclass = dns::get16(&wire[pos + 2]);
    pos += 4;
    out.questions.push_back(q);
  }
  const uint16_t counts[3] = {out.hdr.ancount, out.hdr.nscount, out.hdr.arcount};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      Record r;
      r.section = static_cast<dns::Section>(s);
      if (!read_record(wire, pos, r)) return false;
      out.records.push_back(std::move(r));
    }
  }
  return true;
}

void write_message(const Message& m, std::vector<uint8_t>& out) {
  dns::MessageWriter w(out);
  dns::Header h = m.hdr;
  h.qdcount = h.ancount = h.nscount = h.arcount = 0;
  w.start(h);
  for (const Question& q : m.questions) w.question(q.name, q.qtype, q.qclass);
  for (const Record& r : m.records) {
    w.section(r.section);
    w.begin_rr(r.owner, r.type, r.klass, r.ttl);
    if (!dns::rdata_names_compressible(r.type)) {
      w.rd_bytes(r.rdata);
    } else {
      walk_rdata(
          dns::rdata_layout(r.type), r.rdata, 0, r.rdata.size(),
          [&](const dns::Name& n) { w.rd_name(n); },
          [&](size_t at, size_t n) { w.rd_bytes(std::span(r.rdata).subspan(at, n)); });
    }
    w.end_rr();
  }
}

std::vector<NameAt> rdata_names(const Record& r) {
  std::vector<NameAt> names;
  size_t at = 0;
  walk_rdata(
      dns::rdata_layout(r.type), r.rdata, 0, r.rdata.size(),
      [&](const dns::Name& n) {
        names.push_back({static_cast<uint16_t>(at), n.len});
        at += n.len;
      },
      [&](size_t, size_t n) { at += n; });
  return names;
}

bool value_name(const Record& r, NameAt& at) {
  switch (r.type) {
    case 2:   // NS
    case 5:   // CNAME
    case 6:   // SOA
    case 12:  // PTR
    case 15:  // MX
    case 33:  // SRV
    case 35:  // NAPTR
    case 39:  // DNAME
      break;
    default:
      return false;
  }
  auto names = rdata_names(r);
  if (names.empty()) return false;
  at = names.front();
  return true;
}

void replace_rdata_name(Record& r, NameAt at, const dns::Name& name) {
  auto begin = r.rdata.begin() + at.offset;
  r.rdata.erase(begin, begin + at.len);
  r.rdata.insert(r.rdata.begin() + at.offset, name.data, name.data + name.len);
}

}  // namespace cxxdns::pkg
