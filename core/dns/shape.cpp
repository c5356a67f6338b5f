#include "core/dns/shape.h"

#include <algorithm>
#include <cstring>

namespace cxxdns::dns {

namespace {

void note_record(const RecordRef& r, std::span<const uint8_t> msg, AnswerShape& s) {
  if (r.type == type::OPT) {
    if (r.section != Section::additional || s.has_opt) {
      s.bad_opt = true;
      return;
    }
    s.has_opt = true;
    s.opt_begin = r.offset;
    s.opt_end = r.end;
    s.rcode |= static_cast<uint16_t>((r.ttl >> 24) << 4);
    return;
  }
  s.min_ttl = std::min(s.min_ttl, r.ttl);
  if (s.ttl_count < AnswerShape::kMaxTtls) {
    s.ttl_offsets[s.ttl_count++] = static_cast<uint16_t>(r.type_offset + 4);
  } else {
    s.ttls_overflow = true;
  }
  if (r.section != Section::authority) return;
  if (r.type == type::SOA && r.rdata_len >= 20) {
    s.soa_in_authority = true;
    const uint32_t minimum = get32(msg.data() + r.rdata_offset + r.rdata_len - 4);
    s.soa_min = std::min({s.soa_min, r.ttl, minimum});
  } else if (r.type == type::NS) {
    s.ns_in_authority = true;
  }
}

bool read_records(std::span<const uint8_t> msg, uint32_t first_name_end, AnswerShape& s) {
  s.end = s.question_end;
  s.valid = detail::walk_records_from(msg, s.question_end, first_name_end, [&](const RecordRef& r) {
    note_record(r, msg, s);
    s.end = r.end;
    return true;
  });
  return s.valid;
}

}  // namespace

bool read_shape(std::span<const uint8_t> msg, AnswerShape& s) {
  s = AnswerShape{};
  if (msg.size() < kHeaderSize) return false;
  s.hdr = Header::read(msg.data());
  s.rcode = s.hdr.rcode();
  uint32_t first_name_end = 0;
  s.question_end = skip_questions(msg, &first_name_end);
  if (s.question_end == 0) return false;
  return read_records(msg, first_name_end, s);
}

bool read_shape_after(std::span<const uint8_t> msg, uint32_t question_end, AnswerShape& s) {
  s = AnswerShape{};
  if (question_end < kHeaderSize + 5 || question_end > msg.size()) return false;
  s.hdr = Header::read(msg.data());
  s.rcode = s.hdr.rcode();
  s.question_end = question_end;
  return read_records(msg, question_end - 4, s);
}

namespace {
enum PackedFlag : uint8_t { kHasOpt = 1, kBadOpt = 2, kSoa = 4, kNs = 8 };
constexpr size_t kPackedFixed = 10;
}  // namespace

size_t pack_shape(const AnswerShape& s, uint8_t* out) {
  if (!s.valid || s.ttls_overflow) return 0;
  const uint16_t fixed[4] = {static_cast<uint16_t>(s.end), static_cast<uint16_t>(s.opt_begin),
                             static_cast<uint16_t>(s.opt_end), s.rcode};
  std::memcpy(out, fixed, sizeof fixed);
  out[8] = static_cast<uint8_t>((s.has_opt ? kHasOpt : 0) | (s.bad_opt ? kBadOpt : 0) |
                                (s.soa_in_authority ? kSoa : 0) | (s.ns_in_authority ? kNs : 0));
  out[9] = static_cast<uint8_t>(s.ttl_count);
  std::memcpy(out + kPackedFixed, s.ttl_offsets, 2u * s.ttl_count);
  return kPackedFixed + 2u * s.ttl_count;
}

bool unpack_shape(const uint8_t* in, size_t len, std::span<const uint8_t> msg,
                  uint32_t question_end, AnswerShape& s) {
  if (len < kPackedFixed || msg.size() < kHeaderSize) return false;
  const size_t count = in[9];
  if (count > AnswerShape::kMaxTtls || len != kPackedFixed + 2 * count) return false;
  uint16_t fixed[4];
  std::memcpy(fixed, in, sizeof fixed);
  s.valid = true;
  s.hdr = Header::read(msg.data());
  s.question_end = question_end;
  s.end = fixed[0];
  s.opt_begin = fixed[1];
  s.opt_end = fixed[2];
  s.rcode = fixed[3];
  s.has_opt = in[8] & kHasOpt;
  s.bad_opt = in[8] & kBadOpt;
  s.soa_in_authority = in[8] & kSoa;
  s.ns_in_authority = in[8] & kNs;
  s.min_ttl = UINT32_MAX;  // rewritten on every copy: not kept
  s.soa_min = UINT32_MAX;
  s.ttls_overflow = false;
  s.ttl_count = static_cast<uint16_t>(count);
  std::memcpy(s.ttl_offsets, in + kPackedFixed, 2 * count);
  return s.end <= msg.size();
}

bool rewrite_ttls(std::span<uint8_t> msg, const AnswerShape& shape, uint32_t ttl) {
  if (!shape.valid) return false;
  if (!shape.ttls_overflow) {
    for (uint16_t i = 0; i < shape.ttl_count; ++i) put32(msg.data() + shape.ttl_offsets[i], ttl);
    return true;
  }
  std::span<const uint8_t> view(msg.data(), msg.size());
  return walk_records_after(view, shape.question_end, [&](const RecordRef& r) {
    if (r.type != type::OPT) put32(msg.data() + r.type_offset + 4, ttl);
    return true;
  });
}

}  // namespace cxxdns::dns
