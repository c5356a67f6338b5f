#include "plugins/cache/response.h"

#include <algorithm>
#include <cstring>

#include "core/dns/response.h"

namespace cxxdns::plugins::cache {

namespace {
constexpr uint16_t kAxfr = 252, kIxfr = 251;
constexpr uint32_t kFailSafeTtl = 5;  // CoreDNS's, for a message with no records
}  // namespace

Classified classify(std::span<const uint8_t> msg, const dns::QueryView& q) {
  Classified c;
  if (msg.size() < dns::kHeaderSize || q.qtype == kAxfr || q.qtype == kIxfr) return c;
  dns::Header h = dns::Header::read(msg.data());
  if ((h.flags & dns::flag::TC) || h.opcode() != 0 || h.qdcount != 1) return c;
  // Stored only when the question is q's, so that a hit can overwrite its bytes with the
  // asker's name.
  if (!dns::first_question_is(msg, q.qname_lower, q.qtype, q.qclass)) {
    c.mismatch = true;
    return c;
  }
  uint32_t min_all = UINT32_MAX, min_soa = UINT32_MAX;
  bool any = false, soa = false, ns = false;
  // The rcode's upper bits are in the OPT record (as dns::response_rcode reads them): taken
  // in this walk rather than in a second one.
  uint16_t rc = h.flags & dns::flag::RCODE_MASK;
  if (!dns::walk_records(msg, [&](const dns::RecordRef& r) {
        if (r.type == dns::type::OPT) {
          rc |= static_cast<uint16_t>((r.ttl >> 24) << 4);
          return true;
        }
        any = true;
        min_all = std::min(min_all, r.ttl);
        if (r.section == dns::Section::authority) {
          if (r.type == dns::type::SOA && r.rdata_len >= 20) {
            soa = true;
            uint32_t minimum = dns::get32(msg.data() + r.rdata_offset + r.rdata_len - 4);
            min_soa = std::min({min_soa, r.ttl, minimum});
          } else if (r.type == dns::type::NS) {
            ns = true;
          }
        }
        return true;
      })) {
    return c;
  }
  if (rc == dns::rcode::NOERROR && (h.ancount > 0 || (ns && !soa))) {
    c.kind = Kind::success;
  } else if (rc == dns::rcode::NOERROR || rc == dns::rcode::NXDOMAIN) {
    c.kind = Kind::denial;
  } else if (rc == dns::rcode::SERVFAIL) {
    c.kind = Kind::servfail;
    return c;
  } else {
    return c;
  }
  c.ttl = c.kind == Kind::denial && soa ? min_soa : any ? min_all : kFailSafeTtl;
  return c;
}

bool patch(std::span<uint8_t> msg, const dns::QueryView& q, uint32_t ttl, bool keep_ttl,
           bool* has_opt) {
  if (msg.size() < size_t(dns::kHeaderSize) + q.qname.len) return false;
  dns::put16(msg.data(), q.hdr.id);
  // Stored only when the question matched (classify), so the lengths agree.
  std::memcpy(msg.data() + dns::kHeaderSize, q.qname.data, q.qname.len);
  return keep_ttl || set_ttls(msg, q, ttl, has_opt);
}

bool set_ttls(std::span<uint8_t> msg, const dns::QueryView& q, uint32_t ttl, bool* has_opt) {
  std::span<const uint8_t> view(msg.data(), msg.size());
  bool opt = false;
  // The question is q's: the records start right after it.
  const uint32_t records = dns::kHeaderSize + q.qname.len + 4;
  const bool ok = dns::walk_records_after(view, records, [&](const dns::RecordRef& r) {
    if (r.type != dns::type::OPT)
      dns::put32(msg.data() + r.type_offset + 4, ttl);
    else
      opt = true;
    return true;
  });
  if (has_opt) *has_opt = opt;
  return ok;
}

}  // namespace cxxdns::plugins::cache
