#include "plugins/cache/response.h"

#include <algorithm>
#include <cstring>

namespace cxxdns::plugins::cache {

namespace {
constexpr uint16_t kAxfr = 252, kIxfr = 251;
constexpr uint32_t kFailSafeTtl = 5;  // CoreDNS's, for a message with no records
// CoreDNS's dnsutil.MinimalTTL starts from an hour: no message is kept longer, whatever
// `success`/`denial` allow.
constexpr uint32_t kMaxMessageTtl = 3600;

Kind kind_of(const dns::AnswerShape& s) {
  if (s.rcode == dns::rcode::NOERROR &&
      (s.hdr.ancount > 0 || (s.ns_in_authority && !s.soa_in_authority))) {
    return Kind::success;
  }
  if (s.rcode == dns::rcode::NOERROR || s.rcode == dns::rcode::NXDOMAIN) return Kind::denial;
  if (s.rcode == dns::rcode::SERVFAIL) return Kind::servfail;
  return Kind::none;
}
}  // namespace

Classified classify(std::span<const uint8_t> msg, const dns::AnswerShape& s,
                    const dns::QueryView& q) {
  Classified c;
  if (!s.valid || q.qtype == kAxfr || q.qtype == kIxfr) return c;
  if ((s.hdr.flags & dns::flag::TC) || s.hdr.opcode() != 0 || s.hdr.qdcount != 1) return c;
  // Stored only when the question is q's, so that a hit can overwrite its bytes with the
  // asker's name.
  if (!dns::first_question_is(msg, q.qname_lower, q.qtype, q.qclass)) {
    c.mismatch = true;
    return c;
  }
  c.kind = kind_of(s);
  if (c.kind == Kind::none || c.kind == Kind::servfail) return c;
  if (s.ttl_count == 0) {
    c.ttl = kFailSafeTtl;
    return c;
  }
  // RFC 2308 5 and CoreDNS: the smallest TTL in the message, every record but the OPT (a
  // CNAME before an NXDOMAIN's SOA included); for a denial also the SOA's MINIMUM (RFC 2308).
  c.ttl = std::min(s.min_ttl, kMaxMessageTtl);
  if (c.kind == Kind::denial && s.soa_in_authority) c.ttl = std::min(c.ttl, s.soa_min);
  return c;
}

uint16_t hit_flags(uint16_t stored, const dns::QueryView& q) {
  using namespace dns::flag;
  // AD only to a client that asked for DNSSEC (DO) or for AD itself (RFC 6840 5.7, 5.8).
  const bool ad = q.edns.do_bit || (q.hdr.flags & AD);
  return static_cast<uint16_t>(QR | AA | (q.hdr.flags & (OPCODE_MASK | RD | CD)) |
                               (stored & (RA | RCODE_MASK | (ad ? AD : 0))));
}

bool patch(std::span<uint8_t> msg, dns::AnswerShape& shape, const dns::QueryView& q, uint32_t ttl,
           bool keep_ttl) {
  if (msg.size() < size_t(dns::kHeaderSize) + q.qname.len) return false;
  shape.hdr.id = q.hdr.id;
  shape.hdr.flags = hit_flags(shape.hdr.flags, q);
  dns::put16(msg.data(), shape.hdr.id);
  dns::put16(msg.data() + 2, shape.hdr.flags);
  // Stored only when the question matched (classify), so the lengths agree; the only names
  // that read these bytes are owners equal to the question (stored_names.h).
  std::memcpy(msg.data() + dns::kHeaderSize, q.qname.data, q.qname.len);
  return keep_ttl || dns::rewrite_ttls(msg, shape, ttl);
}

}  // namespace cxxdns::plugins::cache
