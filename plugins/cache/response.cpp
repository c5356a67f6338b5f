#include "plugins/cache/response.h"

#include <algorithm>
#include <cstring>

namespace cxxdns::plugins::cache {

namespace {
constexpr uint16_t kAxfr = 252, kIxfr = 251;
constexpr uint32_t kFailSafeTtl = 5;  // CoreDNS's, for a message with no records

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
  const bool any = s.ttl_count > 0;
  c.ttl = c.kind == Kind::denial && s.soa_in_authority ? s.soa_min : any ? s.min_ttl : kFailSafeTtl;
  return c;
}

bool patch(std::span<uint8_t> msg, const dns::AnswerShape& shape, const dns::QueryView& q,
           uint32_t ttl, bool keep_ttl) {
  if (msg.size() < size_t(dns::kHeaderSize) + q.qname.len) return false;
  dns::put16(msg.data(), q.hdr.id);
  // Stored only when the question matched (classify), so the lengths agree.
  std::memcpy(msg.data() + dns::kHeaderSize, q.qname.data, q.qname.len);
  return keep_ttl || dns::rewrite_ttls(msg, shape, ttl);
}

}  // namespace cxxdns::plugins::cache
