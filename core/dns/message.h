// The wire view of a DNS message: the header, the question and the EDNS OPT record read
// in place, and a walk over the records that validates the rest without building anything.
#pragma once

#include <cstdint>
#include <span>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace cxxdns::dns {

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

struct Header {
  uint16_t id = 0, flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  static Header read(const uint8_t* p) {
    return {get16(p), get16(p + 2), get16(p + 4), get16(p + 6), get16(p + 8), get16(p + 10)};
  }
  void write(uint8_t* p) const {
    put16(p, id), put16(p + 2, flags), put16(p + 4, qdcount), put16(p + 6, ancount);
    put16(p + 8, nscount), put16(p + 10, arcount);
  }
  uint8_t opcode() const { return (flags & flag::OPCODE_MASK) >> 11; }
  uint8_t rcode() const { return flags & flag::RCODE_MASK; }
};

// EDNS(0) as the OPT record carries it (RFC 6891).
struct Edns {
  bool present = false;
  uint16_t udp_size = 0;  // as sent; the effective size is max(512, udp_size)
  uint8_t ext_rcode = 0;
  uint8_t version = 0;
  bool do_bit = false;
  uint32_t opt_offset = 0;    // offset of the OPT RR's owner name in the message
  uint32_t rdata_offset = 0;  // offset of its options
  uint16_t rdata_len = 0;
};

// A query read in place: everything the routing and most plugins need.
struct QueryView {
  Header hdr;
  Name qname;        // as sent (case preserved, for the answer)
  Name qname_lower;  // for matching and keys
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint32_t question_end = 0;  // offset just past the question
  Edns edns;

  // The client's UDP payload size: 512 without EDNS, never less than 512.
  uint16_t udp_size() const {
    return edns.present && edns.udp_size > kMinUdpSize ? edns.udp_size : kMinUdpSize;
  }
  // The largest UDP answer this client can be sent: udp_size() within what IP can carry.
  uint16_t udp_answer_limit() const {
    return udp_size() < kMaxUdpPayload ? udp_size() : kMaxUdpPayload;
  }
};

enum class QueryCheck {
  ok,
  drop,     // no header, or a response (QR set): answer nothing
  formerr,  // header readable, body not: answer FORMERR
  notimp,   // an opcode we do not serve (all but QUERY and NOTIFY)
};

// Reads header, question and OPT; walks every record so that a bad body is caught here,
// once, and plugins may trust the question. Does not allocate.
QueryCheck parse_query(std::span<const uint8_t> msg, QueryView& q);

// Section of a record while walking a message.
enum class Section : uint8_t { answer, authority, additional };

// One record as found by walk_records: offsets into the message.
struct RecordRef {
  Section section;
  uint32_t offset;       // start of the owner name
  uint32_t type_offset;  // start of TYPE (after the owner name)
  uint16_t type, klass;
  uint32_t ttl;
  uint32_t rdata_offset;
  uint16_t rdata_len;
  uint32_t end;  // offset just past the record
};

// Calls f(const RecordRef&) for each record after the question; returns false on a
// malformed message (f may have been called for the records before the fault). f returns
// false to stop early (walk_records then returns true).
template <typename F>
bool walk_records(std::span<const uint8_t> msg, F&& f);
// The same, for a message whose one question is already known to end at `questions_end`
// (its name at `questions_end - 4`): the question is not walked again.
template <typename F>
bool walk_records_after(std::span<const uint8_t> msg, uint32_t questions_end, F&& f);

// Whether the message's first question is `lower_name` (in any case), `qtype` and `qclass`.
// Compared in place: the first name of a message cannot be compressed (only the header comes
// before it), so its bytes are the name's.
bool first_question_is(std::span<const uint8_t> msg, const Name& lower_name, uint16_t qtype,
                       uint16_t qclass);

// Reads the message's header and skips its questions; returns the offset after them or 0.
// `first_name_end`, when given, gets the offset just past the first question's name.
uint32_t skip_questions(std::span<const uint8_t> msg, uint32_t* first_name_end = nullptr);

namespace detail {
template <typename F>
bool walk_records_from(std::span<const uint8_t> msg, uint32_t off, uint32_t first_name_end, F&& f) {
  Header h = Header::read(msg.data());
  const uint16_t counts[3] = {h.ancount, h.nscount, h.arcount};
  size_t pos = off;
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      RecordRef r;
      r.section = static_cast<Section>(s);
      r.offset = static_cast<uint32_t>(pos);
      // Most owner names are a pointer to the question's name at offset 12, which has been
      // checked (by skip_questions, or by walk_records_after's caller) and which holds no
      // pointer itself (only the header comes before it): after that name such a pointer is
      // valid, and skip_name would only walk that name again.
      const bool to_question = first_name_end != 0 && pos >= first_name_end &&
                               pos + 2 <= msg.size() && msg[pos] == 0xC0 &&
                               msg[pos + 1] == kHeaderSize;
      if (to_question)
        pos += 2;
      else if (!skip_name(msg, pos))
        return false;
      if (pos + 10 > msg.size()) return false;
      r.type_offset = static_cast<uint32_t>(pos);
      r.type = get16(&msg[pos]);
      r.klass = get16(&msg[pos + 2]);
      r.ttl = get32(&msg[pos + 4]);
      r.rdata_len = get16(&msg[pos + 8]);
      r.rdata_offset = static_cast<uint32_t>(pos + 10);
      if (r.rdata_offset + r.rdata_len > msg.size()) return false;
      pos = r.rdata_offset + r.rdata_len;
      r.end = static_cast<uint32_t>(pos);
      if (!f(static_cast<const RecordRef&>(r))) return true;
    }
  }
  return true;
}
}  // namespace detail

template <typename F>
bool walk_records(std::span<const uint8_t> msg, F&& f) {
  uint32_t first_name_end = 0;
  uint32_t off = skip_questions(msg, &first_name_end);
  if (off == 0) return false;
  return detail::walk_records_from(msg, off, first_name_end, f);
}

template <typename F>
bool walk_records_after(std::span<const uint8_t> msg, uint32_t questions_end, F&& f) {
  if (questions_end < kHeaderSize + 5 || questions_end > msg.size()) return false;
  return detail::walk_records_from(msg, questions_end, questions_end - 4, f);
}

}  // namespace cxxdns::dns
