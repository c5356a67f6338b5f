#include "core/dns/message.h"

#include <cstring>

namespace cxxdns::dns {

uint32_t skip_questions(std::span<const uint8_t> msg, uint32_t* first_name_end) {
  if (msg.size() < kHeaderSize) return 0;
  Header h = Header::read(msg.data());
  size_t pos = kHeaderSize;
  for (uint16_t i = 0; i < h.qdcount; ++i) {
    if (!skip_name(msg, pos) || pos + 4 > msg.size()) return 0;
    if (i == 0 && first_name_end) *first_name_end = static_cast<uint32_t>(pos);
    pos += 4;
  }
  return static_cast<uint32_t>(pos);
}

bool first_question_is(std::span<const uint8_t> msg, const Name& lower_name, uint16_t qtype,
                       uint16_t qclass) {
  const size_t n = lower_name.len;
  if (n == 0 || msg.size() < kHeaderSize + n + 4) return false;
  const uint8_t* p = msg.data() + kHeaderSize;
  // Most names are asked in lower case already: one memcmp then.
  if (std::memcmp(p, lower_name.data, n) != 0) {
    for (size_t i = 0; i < n; ++i) {
      uint8_t c = p[i];  // label lengths (0..63) are not letters: lowered as they are
      if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + 32);
      if (c != lower_name.data[i]) return false;
    }
  }
  return get16(p + n) == qtype && get16(p + n + 2) == qclass;
}

namespace {

// Reads the OPT record into q.edns (RFC 6891 6.1.1: one, in the additional section, owned by
// the root); false for a second one or one elsewhere.
bool note_opt(std::span<const uint8_t> msg, const RecordRef& r, QueryView& q) {
  if (q.edns.present || r.section != Section::additional || msg[r.offset] != 0) {
    q.edns.present = false;
    return false;
  }
  q.edns.present = true;
  q.edns.udp_size = r.klass;
  q.edns.ext_rcode = static_cast<uint8_t>(r.ttl >> 24);
  q.edns.version = static_cast<uint8_t>(r.ttl >> 16);
  q.edns.do_bit = (r.ttl & kEdnsDoBit) != 0;
  q.edns.opt_offset = r.offset;
  q.edns.rdata_offset = r.rdata_offset;
  q.edns.rdata_len = r.rdata_len;
  return true;
}

// QUERY, and NOTIFY for the plugins that keep secondary zones (RFC 1996); as miekg/dns's
// default accept function, which CoreDNS uses.
bool served_opcode(uint8_t op) {
  return op == opcode::QUERY || op == opcode::NOTIFY;
}

// A query refused before its question is read (an opcode we do not serve, not one
// question): its OPT is still looked for, so that the refusal carries one (RFC 6891 7).
QueryCheck refuse(std::span<const uint8_t> msg, QueryView& q) {
  uint32_t first_name_end = 0;
  const uint32_t off = skip_questions(msg, &first_name_end);
  if (off != 0) {
    detail::walk_records_from(msg, off, first_name_end, [&](const RecordRef& r) {
      return r.type != type::OPT || note_opt(msg, r, q);
    });
  }
  return served_opcode(q.hdr.opcode()) ? QueryCheck::formerr : QueryCheck::notimp;
}

}  // namespace

QueryCheck parse_query(std::span<const uint8_t> msg, QueryView& q) {
  if (msg.size() < kHeaderSize) return QueryCheck::drop;
  q.hdr = Header::read(msg.data());
  if (q.hdr.flags & flag::QR) return QueryCheck::drop;
  q.edns = Edns{};
  // One question, as every server does in practice (RFC 9619); an opcode we do not serve is
  // NOTIMP whatever its question section holds (as miekg/dns, which CoreDNS uses).
  if (q.hdr.qdcount != 1 || !served_opcode(q.hdr.opcode())) return refuse(msg, q);
  size_t pos = kHeaderSize;
  if (!read_name(msg, pos, q.qname) || pos + 4 > msg.size()) return QueryCheck::formerr;
  q.qtype = get16(&msg[pos]);
  q.qclass = get16(&msg[pos + 2]);
  pos += 4;
  q.question_end = static_cast<uint32_t>(pos);
  q.qname_lower = q.qname;
  q.qname_lower.to_lower();

  uint32_t end = q.question_end;
  bool bad_opt = false;
  const bool ok = walk_records_after(msg, q.question_end, [&](const RecordRef& r) {
    end = r.end;
    if (r.type == type::OPT && !note_opt(msg, r, q)) {
      bad_opt = true;
      return false;
    }
    return true;
  });
  if (!ok || bad_opt) return QueryCheck::formerr;
  // Bytes after the last record are ignored, as CoreDNS (miekg/dns) and unbound do.
  q.end = end;
  return QueryCheck::ok;
}

}  // namespace cxxdns::dns
