#include "plugins/minimal/minimal.h"

#include <ctime>

#include "core/dns/message.h"

namespace cxxdns::plugins {

namespace {

constexpr uint16_t kAxfr = 252, kIxfr = 251, kRrsig = 46;
constexpr uint8_t kOpcodeNotify = 4, kOpcodeUpdate = 5;

// RFC 4034 3.1.5 with serial arithmetic (RFC 1982), as miekg/dns's ValidityPeriod.
bool rrsig_valid(std::span<const uint8_t> msg, const dns::RecordRef& r, int64_t now) {
  if (r.rdata_len < 18) return true;  // not readable: not ours to judge
  constexpr int64_t kYear68 = int64_t{1} << 31;
  const int64_t expiration = dns::get32(&msg[r.rdata_offset + 8]);
  const int64_t inception = dns::get32(&msg[r.rdata_offset + 12]);
  const int64_t ti = inception + (inception - now) / kYear68 * kYear68;
  const int64_t te = expiration + (expiration - now) / kYear68 * kYear68;
  return ti <= now && now <= te;
}

bool has_expired_signature(std::span<const uint8_t> msg, const dns::AnswerShape& shape,
                           int64_t now) {
  bool expired = false;
  dns::walk_records_after(msg, shape.question_end, [&](const dns::RecordRef& r) {
    if (r.type == kRrsig && !rrsig_valid(msg, r, now)) expired = true;
    return !expired;
  });
  return expired;
}

}  // namespace

bool minimizable(std::span<const uint8_t> msg, const dns::AnswerShape& shape, uint16_t qtype,
                 int64_t now) {
  // CoreDNS's response.Typify, then Classify: only NoError is reduced. Updates, notifies
  // and transfers are "meta"; an expired signature under DO is an error; NXDOMAIN and NODATA
  // are denials; SERVFAIL and the others, errors; NS in the authority, a delegation.
  const uint8_t opcode = shape.hdr.opcode();
  if (opcode == kOpcodeNotify || opcode == kOpcodeUpdate) return false;
  if (qtype == kAxfr || qtype == kIxfr) return false;
  if (shape.has_opt && !shape.bad_opt &&
      (dns::get32(&msg[shape.opt_begin + 5]) & dns::kEdnsDoBit) &&
      has_expired_signature(msg, shape, now)) {
    return false;
  }
  if (shape.rcode != dns::rcode::NOERROR) return false;
  if (shape.hdr.ancount > 0) return true;
  return !shape.soa_in_authority && !shape.ns_in_authority;
}

bool strip_to_answer(std::vector<uint8_t>& msg, const dns::AnswerShape& shape) {
  uint32_t answer_end = shape.question_end;
  if (!dns::walk_records_after(msg, shape.question_end, [&](const dns::RecordRef& r) {
        if (r.section != dns::Section::answer) return false;
        answer_end = r.end;
        return true;
      })) {
    return false;
  }
  std::vector<uint8_t> opt;
  if (shape.has_opt) opt.assign(msg.begin() + shape.opt_begin, msg.begin() + shape.opt_end);
  msg.resize(answer_end);
  msg.insert(msg.end(), opt.begin(), opt.end());
  dns::put16(msg.data() + 8, 0);
  dns::put16(msg.data() + 10, shape.has_opt ? 1 : 0);
  return true;
}

Verdict Minimal::serve(QueryContext& ctx) {
  // A zone transfer is a stream of messages: left as it is, as CoreDNS does.
  const uint16_t qtype = ctx.q().qtype;
  if (qtype != kAxfr && qtype != kIxfr) ctx.on_reply(this);
  return ctx.next();
}

void Minimal::on_reply(QueryContext& ctx, uint64_t) {
  const dns::AnswerShape& shape = ctx.shape();
  if (!shape.valid || shape.hdr.nscount + shape.hdr.arcount <= (shape.has_opt ? 1 : 0)) return;
  if (!minimizable(ctx.response(), shape, ctx.q().qtype,
                   static_cast<int64_t>(std::time(nullptr)))) {
    return;
  }
  const dns::AnswerShape copy = shape;
  (void)strip_to_answer(ctx.writable_response(), copy);
}

}  // namespace cxxdns::plugins
