#include "core/dns/response.h"

#include <cstring>

#include "core/dns/writer.h"

namespace cxxdns::dns {

uint16_t response_rcode(std::span<const uint8_t> msg) {
  if (msg.size() < kHeaderSize) return rcode::SERVFAIL;
  uint16_t rc = get16(msg.data() + 2) & flag::RCODE_MASK;
  walk_records(msg, [&](const RecordRef& r) {
    if (r.type == type::OPT) rc |= static_cast<uint16_t>((r.ttl >> 24) << 4);
    return true;
  });
  return rc;
}

bool truncate_to(std::vector<uint8_t>& msg, size_t max_size) {
  if (msg.size() <= max_size) return true;
  size_t opt_begin = 0, opt_end = 0;
  if (!walk_records(msg, [&](const RecordRef& r) {
        if (r.type == type::OPT) opt_begin = r.offset, opt_end = r.end;
        return true;
      })) {
    return false;
  }
  const size_t opt_len = opt_end - opt_begin;
  const size_t budget = max_size > opt_len ? max_size - opt_len : 0;
  uint16_t kept[3] = {0, 0, 0};
  size_t cut = skip_questions(msg);
  bool dropped = false;
  walk_records(msg, [&](const RecordRef& r) {
    if (r.type == type::OPT) return true;
    if (dropped || r.offset != cut || r.end > budget) {
      dropped = true;
      return true;
    }
    ++kept[static_cast<int>(r.section)];
    cut = r.end;
    return true;
  });
  std::vector<uint8_t> opt(msg.begin() + opt_begin, msg.begin() + opt_end);
  msg.resize(cut);
  Header h = Header::read(msg.data());
  h.ancount = kept[0], h.nscount = kept[1], h.arcount = kept[2];
  if (dropped) h.flags |= flag::TC;
  if (!opt.empty()) {
    msg.insert(msg.end(), opt.begin(), opt.end());
    ++h.arcount;
  }
  h.write(msg.data());
  return true;
}

void write_rcode_reply(std::vector<uint8_t>& out, const QueryView& q, uint8_t rc) {
  MessageWriter w(out);
  w.start_reply(q, rc, false);
  if (q.edns.present) w.opt(q.udp_size(), q.edns.do_bit);
}

bool finalize_response(std::vector<uint8_t>& msg, AnswerShape& shape, const QueryView& q,
                       bool udp) {
  if (!shape.valid) {
    write_rcode_reply(msg, q, rcode::SERVFAIL);
    return true;
  }
  // Bytes after the last record (an upstream's padding or junk) would sit between the
  // records and an OPT appended below, making the answer unreadable: they go.
  if (msg.size() > shape.end) msg.resize(shape.end);
  shape.hdr.id = q.hdr.id;
  shape.hdr.flags |= flag::QR;
  put16(msg.data(), shape.hdr.id);
  put16(msg.data() + 2, shape.hdr.flags);
  bool relaid = false;
  if (shape.has_opt && !q.edns.present) {
    // A client that sent no OPT must not get one back (RFC 6891 7).
    msg.erase(msg.begin() + shape.opt_begin, msg.begin() + shape.opt_end);
    put16(msg.data() + 10, --shape.hdr.arcount);
    relaid = true;
  }
  if (!shape.has_opt && q.edns.present) {
    MessageWriter::append_opt(msg, q.udp_size(), q.edns.do_bit);
    relaid = true;
  }
  const size_t limit = udp ? q.udp_answer_limit() : 65535;
  if (msg.size() > limit) {
    truncate_to(msg, limit);
    relaid = true;
  }
  return relaid;
}

}  // namespace cxxdns::dns
