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

QueryCheck parse_query(std::span<const uint8_t> msg, QueryView& q) {
  if (msg.size() < kHeaderSize) return QueryCheck::drop;
  q.hdr = Header::read(msg.data());
  if (q.hdr.flags & flag::QR) return QueryCheck::drop;
  q.edns = Edns{};
  // One question, as every server does in practice (RFC 9619).
  if (q.hdr.qdcount != 1) return QueryCheck::formerr;
  size_t pos = kHeaderSize;
  if (!read_name(msg, pos, q.qname) || pos + 4 > msg.size()) return QueryCheck::formerr;
  q.qtype = get16(&msg[pos]);
  q.qclass = get16(&msg[pos + 2]);
  pos += 4;
  q.question_end = static_cast<uint32_t>(pos);
  q.qname_lower = q.qname;
  q.qname_lower.to_lower();

  size_t end = q.question_end;
  bool ok = walk_records_after(msg, q.question_end, [&](const RecordRef& r) {
    end = r.end;
    if (r.type == type::OPT) {
      // One OPT, in the additional section, owned by the root (RFC 6891 6.1.1).
      if (q.edns.present || r.section != Section::additional || msg[r.offset] != 0) {
        q.edns.present = false;
        q.edns.opt_offset = UINT32_MAX;  // marks the fault for the check below
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
    }
    return true;
  });
  if (!ok || q.edns.opt_offset == UINT32_MAX) return QueryCheck::formerr;
  // Trailing bytes after the last record make the message malformed as well.
  if (end != msg.size()) return QueryCheck::formerr;
  // QUERY, and NOTIFY for the plugins that keep secondary zones (RFC 1996); as miekg/dns's
  // default accept function, which CoreDNS uses.
  if (q.hdr.opcode() != opcode::QUERY && q.hdr.opcode() != opcode::NOTIFY)
    return QueryCheck::notimp;
  return QueryCheck::ok;
}

}  // namespace cxxdns::dns
